// Issue 14 #5: no helper process (exiftool's stay_open Perl, ffmpeg, ffprobe) outlives the archive
// process, even when only Node is killed with SIGKILL (what the OOM killer does). On the main of
// 2026-12-01 exiftool processes were reparented to PID 1 and polled forever.
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hasTool, realFixtures, repoRoot, runArchive, tempDir } from "../../../test/support.js";

const fixtures = realFixtures();
const tools = fixtures ? (await hasTool("ffmpeg", ["-version"])) && (await hasTool("exiftool", ["-ver"])) : false;
const bin = join(repoRoot(), "packages/cli/bin/archive.js");

/** Processes (other than `leader` itself) in process group `pgid`: the archive run's helpers. */
function groupMembers(pgid: number): { pid: number; name: string }[] {
  const found: { pid: number; name: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === pgid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const fields = stat.slice(close + 2).split(" ");
      // fields: state, ppid, pgrp, ...
      if (Number(fields[2]) === pgid && fields[0] !== "Z") {
        found.push({ pid, name: stat.slice(stat.indexOf("(") + 1, close) });
      }
    } catch {
      // exited while we looked
    }
  }
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Moment = { label: string; when: (names: string[], sinceMs: number) => boolean };

/**
 * Start `archive ARGS` in its own process group and kill Node alone (SIGKILL, not the group) at
 * `moment`; report the helpers alive then and 5 s after Node died.
 */
async function killNodeAt(args: string[], moment: Moment, env: NodeJS.ProcessEnv = {}): Promise<{ atKill: string[]; after: string[] }> {
  const child: ChildProcess = spawn(process.execPath, [bin, ...args], {
    detached: true, // its own process group, so its helpers can be found by pgid after it dies
    stdio: "ignore",
    env: { ...process.env, ...env, NO_COLOR: "1" },
  });
  const pgid = child.pid!;
  let done = false;
  const exited = new Promise<void>((r) => child.once("exit", () => ((done = true), r())));
  const started = Date.now();
  let atKill: string[] = [];
  while (!done && Date.now() - started < 120_000) {
    atKill = groupMembers(pgid).map((p) => p.name);
    if (moment.when(atKill, Date.now() - started)) break;
    await sleep(25);
  }
  try {
    process.kill(pgid, "SIGKILL");
  } catch {
    // it finished before the kill point
  }
  await exited;
  await sleep(5000);
  const left = groupMembers(pgid);
  for (const p of left) {
    try {
      process.kill(p.pid, "SIGKILL"); // do not leak into the rest of the suite
    } catch {
      // gone
    }
  }
  return { atKill, after: left.map((p) => p.name) };
}

const seen = (name: string) => (names: string[]) => names.some((n) => n.includes(name));
let ffmpegSince = 0;
const MOMENTS: Moment[] = [
  { label: "convert: first ffprobe", when: seen("ffprobe") },
  { label: "convert: first ffmpeg", when: seen("ffmpeg") },
  {
    label: "convert: 1.5 s into an ffmpeg",
    when: (names, ms) => {
      if (!names.includes("ffmpeg")) return false;
      ffmpegSince ||= ms;
      return ms - ffmpegSince > 1500;
    },
  },
  { label: "convert: exiftool running", when: (names) => names.some((n) => n === "exiftool" || n === "perl") },
];

let template: string | null = null;

/** A planned workspace of the fixtures, copied from one plan (planning is the slow part). */
async function freshWorkspace(): Promise<string> {
  if (!template) {
    template = join(await tempDir("archive-orphans-template-"), "ws");
    const r = await runArchive(["plan", fixtures!, "-C", template]);
    expect(r.code).toBeLessThanOrEqual(1);
  }
  const w = join(await tempDir("archive-orphans-"), "ws");
  cpSync(template, w, { recursive: true });
  return w;
}

describe.skipIf(!tools)("kill -9 of the archive process leaves no helper alive", () => {
  it("five kills at different moments of plan and convert: no exiftool/ffmpeg/ffprobe 5 s later", async () => {
    const plan = await killNodeAt(["plan", fixtures!, "-C", join(await tempDir("archive-orphans-plan-"), "ws")], {
      label: "plan: exiftool reading video metadata",
      when: (names) => names.some((n) => n === "exiftool" || n === "perl"),
    });
    const runs = [{ label: "plan", ...plan }];
    for (const m of MOMENTS) runs.push({ label: m.label, ...(await killNodeAt(["convert", "-C", await freshWorkspace()], m)) });
    for (const r of runs) expect({ moment: r.label, left: r.after }).toEqual({ moment: r.label, left: [] });
    // the test means something only if helpers were running when Node died
    const withHelpers = runs.filter((r) => r.atKill.length > 0).map((r) => r.label);
    expect(withHelpers.length, JSON.stringify(runs)).toBeGreaterThanOrEqual(4);
  });

  it("without the parent-death signal, the next run reaps what the dead owner recorded", async () => {
    const w = await freshWorkspace();
    const child = spawn(process.execPath, [bin, "convert", "-C", w], {
      detached: true,
      stdio: "ignore",
      env: { ...process.env, ARCHIVE_NO_PDEATHSIG: "1" },
    });
    const pgid = child.pid!;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    let alive: { pid: number; name: string }[] = [];
    for (let i = 0; i < 100 && alive.length === 0; i++) {
      await sleep(100);
      alive = groupMembers(pgid);
    }
    expect(alive.length).toBeGreaterThan(0);
    process.kill(pgid, "SIGKILL");
    await exited;
    await sleep(500);
    // exiftool's stay_open processes (if any were up) are still there: nothing killed them yet
    const before = groupMembers(pgid);
    await runArchive(["verify", "--quick", "-C", w]);
    await sleep(500);
    const after = groupMembers(pgid);
    for (const p of after) process.kill(p.pid, "SIGKILL");
    expect(after).toEqual([]);
    expect(before.length + alive.length).toBeGreaterThan(0);
  });
});
