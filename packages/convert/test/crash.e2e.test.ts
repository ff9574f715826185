// kill -9 in the middle of `archive convert`, a few times, then run it to the end: every output
// must be complete and decodable, the journal's hashes must match, and no temporary file remains.
// The kill points come from a seeded generator; set CRASH_SEED=<n> to replay a failing run.
import { spawn } from "node:child_process";
import { copyFile, mkdir } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import {
  archiveJson,
  ffmpegDecodes,
  ffprobe,
  hasTool,
  journal,
  listFiles,
  realFixtures,
  repoRoot,
  sha256File,
  tempDir,
  tempFiles,
} from "./helpers.js";

const real = realFixtures();
const haveFfmpeg = (await hasTool("ffmpeg", ["-version"])) && (await hasTool("ffprobe", ["-version"]));

const SUBSET = [
  "osxphotos/IMG_4394.HEIC", // iOS 18 Live Photo still
  "osxphotos/IMG_4394.mov", // its HEVC video
  "lychee/classic-car.heic",
  "exifr/heic-iphone7.heic",
  "immich/IMG_2682.heic",
  "osxphotos/IMG_1853.HEIC",
  "osxphotos/IMG_0102.HEIC",
  "exiv2/2021-02-13-1929.heic",
  "exif-samples/iphone_13_pro_max.HEIC",
  "metadata-extractor-images/IMG_2927.HEIC",
];

/** mulberry32: a tiny seeded generator, so a failing kill schedule can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Where kill k lands. The schedule must leave work for every later kill: a run that finishes before
 * its kill tests nothing (CI once ran out of work after 8 of 12 kills with a 3.8 s early delay).
 * So early kills land 0.2-2.2 s after start-up, later ones wait for at most one more finished job
 * and never for the last one, and the delay shrinks as the remaining work does.
 */
function killPoint(k: number, done: number, total: number, r: number): { afterDone: number; delayMs: number } {
  if (k < 4) return { afterDone: 0, delayMs: Math.round(200 + r * 2000) };
  const remaining = total - done;
  const afterDone = remaining > 2 ? done + (k % 2) : done;
  const span = remaining > 4 ? 1200 : remaining > 2 ? 700 : 300;
  return { afterDone, delayMs: Math.round(r * span) };
}

interface KillPoint {
  afterDone: number;
  delayMs: number;
  scope: "group" | "node";
  exited: string;
  tempsAtKill: number;
  doneAfter: number;
  unjournalled: number;
}

function doneCount(ws: string): number {
  try {
    return [...journal(ws).values()].filter((j) => j.status === "done").length;
  } catch {
    return 0; // the catalog is being created or migrated
  }
}

/**
 * Start `archive convert` in its own process group; once the journal shows `waitForDone` finished
 * jobs, wait `delayMs` more and SIGKILL it: the whole group (a power cut: node, exiftool and
 * ffmpeg together) or only node (`kill -9 PID`: its ffmpeg and exiftool children are orphaned and
 * may still be writing a temporary file for a moment).
 */
async function convertAndKill(ws: string, waitForDone: number, delayMs: number, scope: "group" | "node"): Promise<{ exited: string; temps: number }> {
  const bin = join(repoRoot(), "packages/cli/bin/archive.js");
  const child = spawn(process.execPath, [bin, "convert", "-C", ws, "--json"], { detached: true, stdio: "ignore" });
  let alive = true;
  const exited = new Promise<string>((res) =>
    child.on("exit", (code, sig) => {
      alive = false;
      res(sig ? `killed (${sig})` : `exited ${code} before the kill`);
    }),
  );
  const deadline = Date.now() + 240_000;
  while (alive && doneCount(ws) < waitForDone && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setTimeout(r, delayMs));
  let temps = 0;
  if (alive) {
    temps = tempFiles(ws).length;
    try {
      process.kill(scope === "group" ? -child.pid! : child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }
  const how = await exited;
  if (scope === "node") {
    // let the orphans of this one run finish or die (they are ours: same group), then end them
    await new Promise((r) => setTimeout(r, 500));
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // the group is empty
    }
  }
  return { exited: how, temps };
}

/**
 * A file under a final name that the journal does not (yet) call done — the rename happened,
 * the journal update did not — must still be whole: decode it completely.
 */
async function unjournalledFinalsAreWhole(ws: string): Promise<number> {
  const done = new Set([...journal(ws).values()].filter((j) => j.status === "done").map((j) => j.output_rel));
  let n = 0;
  for (const rel of listFiles(join(ws, "converted"))) {
    const out = `converted/${rel}`;
    if (done.has(out) || rel.split("/").pop()!.startsWith(".archive-tmp-")) continue;
    if (out.endsWith(".jpg")) await sharp(join(ws, out), { failOn: "truncated" }).raw().toBuffer();
    else if (out.endsWith(".mp4")) await ffmpegDecodes(join(ws, out));
    n++;
  }
  return n;
}

/** Every job the journal calls done has its output on disk with the recorded hash. */
async function journalMatchesDisk(ws: string): Promise<number> {
  let n = 0;
  for (const j of journal(ws).values()) {
    if (j.status !== "done" || !j.output_rel) continue;
    expect(await sha256File(join(ws, j.output_rel)), j.output_rel).toBe(j.output_sha256);
    n++;
  }
  return n;
}

describe.skipIf(!real || !haveFfmpeg)("archive convert killed with SIGKILL resumes to a complete, valid set", () => {
  let ws: string;
  let srcDir: string;
  const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
  const kills: KillPoint[] = [];
  let finalRun: { code: number; json: { converted: number; alreadyDone: number; failed: unknown[] } };

  beforeAll(async () => {
    srcDir = await tempDir("archive-crash-src-");
    ws = await tempDir("archive-crash-ws-");
    for (const rel of SUBSET) {
      await mkdir(dirname(join(srcDir, rel)), { recursive: true });
      await copyFile(join(real!, rel), join(srcDir, rel));
    }
    const plan = await archiveJson<unknown>(ws, ["plan", srcDir]);
    if (plan.code !== 0) throw new Error(`plan exited ${plan.code}: ${plan.stderr}`);
    const next = rng(seed);
    // 12 kill points (CRASH_KILLS to change; at least 10 must land while work is under way), alternating a power-cut style kill of the
    // whole process group with `kill -9` of node alone. The first few land at random moments from
    // start-up on; later ones (see killPoint) wait for one more finished job first, so runs make
    // progress and the kills also hit decode, encode, exiftool and ffmpeg mid-file.
    const killCount = Math.max(1, Number(process.env.CRASH_KILLS ?? 12));
    let done = 0;
    for (let k = 0; k < killCount; k++) {
      const scope: "group" | "node" = k % 2 === 0 ? "group" : "node";
      const { afterDone, delayMs } = killPoint(k, done, SUBSET.length, next());
      const { exited, temps } = await convertAndKill(ws, afterDone, delayMs, scope);
      done = await journalMatchesDisk(ws);
      const unjournalled = await unjournalledFinalsAreWhole(ws);
      kills.push({ afterDone, delayMs, scope, exited, tempsAtKill: temps, doneAfter: done, unjournalled });
    }
    console.log(`crash test seed ${seed} (replay with CRASH_SEED=${seed}): ${JSON.stringify(kills)}`);
    finalRun = await archiveJson(ws, ["convert"]);
  }, 900_000);

  it("at least 10 kills landed while the run was working", () => {
    if (process.env.CRASH_KILLS) return;
    expect(kills.filter((k) => k.exited.startsWith("killed")).length, JSON.stringify(kills)).toBeGreaterThanOrEqual(10);
  });

  it("the final run finishes without failures", () => {
    expect(finalRun.code, JSON.stringify(finalRun.json.failed)).toBe(0);
    expect(finalRun.json.failed).toEqual([]);
    expect(finalRun.json.converted + finalRun.json.alreadyDone).toBe(SUBSET.length);
  });

  it("every output is journalled as done with a hash that matches the file", async () => {
    const jobs = journal(ws);
    expect([...jobs.values()].map((j) => [j.rel_path, j.status]).sort()).toEqual(SUBSET.map((p) => [p, "done"]).sort());
    expect(await journalMatchesDisk(ws)).toBe(SUBSET.length);
    const outputs = [...jobs.values()].map((j) => j.output_rel!).sort();
    expect(listFiles(join(ws, "converted")).map((p) => `converted/${p}`)).toEqual(outputs);
  });

  it("no temporary file is left behind", () => {
    expect(tempFiles(ws)).toEqual([]);
  });

  it("every JPEG decodes completely", async () => {
    for (const j of journal(ws).values()) {
      if (!j.output_rel!.endsWith(".jpg")) continue;
      const { info } = await sharp(join(ws, j.output_rel!), { failOn: "truncated" }).raw().toBuffer({ resolveWithObject: true });
      expect(info.width * info.height, j.output_rel!).toBeGreaterThan(1_000_000);
    }
  });

  it("the MP4 decodes without an error and keeps the source's duration", async () => {
    const j = journal(ws).get("osxphotos/IMG_4394.mov")!;
    expect(j.output_rel).toMatch(/IMG_4394\.mp4$/);
    await ffmpegDecodes(join(ws, j.output_rel!));
    const [o, i] = await Promise.all([ffprobe(join(ws, j.output_rel!)), ffprobe(join(srcDir, "osxphotos/IMG_4394.mov"))]);
    expect(Math.abs(Number(o.format.duration) - Number(i.format.duration))).toBeLessThanOrEqual(0.1);
  });
});

describe.skipIf(!real || !haveFfmpeg)("archive manifest killed with SIGKILL never leaves a partial manifest", () => {
  it("after kills at random points the manifest is whole, and verify passes once it is rebuilt", async () => {
    const srcDir = await tempDir("archive-crash-msrc-");
    const ws = await tempDir("archive-crash-mws-");
    for (const rel of SUBSET.slice(0, 4)) {
      await mkdir(dirname(join(srcDir, rel)), { recursive: true });
      await copyFile(join(real!, rel), join(srcDir, rel));
    }
    expect((await archiveJson<unknown>(ws, ["plan", srcDir])).code).toBe(0);
    expect((await archiveJson<unknown>(ws, ["convert"])).code).toBe(0);
    const manifestPath = join(ws, "manifest-sha256.txt");
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
    const next = rng(seed + 1);
    const bin = join(repoRoot(), "packages/cli/bin/archive.js");
    const schedule: number[] = [];
    for (let k = 0; k < 10; k++) {
      const delayMs = Math.round(100 + next() * 900);
      schedule.push(delayMs);
      const child = spawn(process.execPath, [bin, "manifest", "-C", ws, "--bagit"], { detached: true, stdio: "ignore" });
      const exited = new Promise((res) => child.on("exit", res));
      await new Promise((r) => setTimeout(r, delayMs));
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // finished first
      }
      await exited;
      // whichever manifest is there is a whole one: every line a hash and a name, one per output
      const lines = readFileSync(manifestPath, "utf8").trim().split("\n");
      expect(lines.every((l) => /^\\?[0-9a-f]{64}  \S/.test(l)), lines.join("\n")).toBe(true);
      expect(lines.length).toBe(4);
    }
    console.log(`manifest kill schedule (seed ${seed + 1}): ${JSON.stringify(schedule)}`);
    const verify = await archiveJson<{ ok: boolean }>(ws, ["verify"]);
    expect(verify.json.ok).toBe(true);
    expect(tempFiles(ws)).toEqual([]);
  }, 600_000);
});
