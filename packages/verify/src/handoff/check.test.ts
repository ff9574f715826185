import { spawn, type ChildProcess } from "node:child_process";
import { cp, rm, unlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDestinations, openWorkspace, verifiedAtOf, type OnEvent, type ProgressEvent } from "@archive/core";
import { execFileP, hasTool, realFixtures, tempDir } from "../../test/helpers.js";
import { checkCopy } from "./check.js";
import { writeExtraManifests } from "./extra.js";
import { ARCHIVE_FILES, buildHandoffArchive, flipBit, localRemoteConfig } from "./testkit.js";

const fixtures = realFixtures();
const haveRclone = await hasTool("rclone", ["version"]);
const run = fixtures && haveRclone ? describe : describe.skip;

let root = "";
let tmp = "";
let savedConfig: string | undefined;

async function check(at: string | undefined, extra: { download?: boolean; samplePct?: number; onEvent?: OnEvent } = {}) {
  const ws = openWorkspace(root, { lock: false });
  try {
    return await checkCopy({ workspace: root, catalog: ws.catalog, cwd: tmp, threads: 2, ...(at ? { at } : {}), ...extra });
  } finally {
    ws.close();
  }
}

/** A damaged copy: one bit flipped, one file deleted, one stray file added. */
async function damagedCopy(name: string): Promise<string> {
  const dest = join(tmp, name);
  await cp(root, dest, { recursive: true });
  await flipBit(join(dest, ARCHIVE_FILES[1]![1]));
  await unlink(join(dest, ARCHIVE_FILES[3]![1]));
  await writeFile(join(dest, "converted/2019/stray.jpg"), "not ours");
  return dest;
}

function expectNamed(r: Awaited<ReturnType<typeof check>>) {
  expect(r.ok).toBe(false);
  expect(r.damaged.map((d) => d.path)).toEqual([ARCHIVE_FILES[1]![1]]);
  expect(r.missing).toEqual([ARCHIVE_FILES[3]![1]]);
  expect(r.extra).toEqual(["converted/2019/stray.jpg"]);
  expect(r.recorded).toBe(false);
}

run("archive verify --at (real rclone)", () => {
  beforeAll(async () => {
    tmp = await tempDir("archive-handoff-");
    root = join(tmp, "ws");
    await buildHandoffArchive(fixtures!, root);
    savedConfig = process.env.RCLONE_CONFIG;
    process.env.RCLONE_CONFIG = await localRemoteConfig(tmp);
  });
  afterAll(async () => {
    if (savedConfig === undefined) delete process.env.RCLONE_CONFIG;
    else process.env.RCLONE_CONFIG = savedConfig;
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("a folder copy that is exact passes and records the hand-off", async () => {
    const dest = join(tmp, "copy");
    await cp(root, dest, { recursive: true });
    const r = await check(dest);
    expect(r).toMatchObject({ ok: true, kind: "folder", method: "sha256", checked: ARCHIVE_FILES.length, recorded: true });
    const ws = openWorkspace(root, { lock: false });
    try {
      const d = listDestinations(ws.catalog).find((x) => x.dest === dest);
      expect(d?.lastFullProof).toMatchObject({ files: ARCHIVE_FILES.length, manifestSha256: r.manifestSha256, bytes: r.bytes });
    } finally {
      ws.close();
    }
  });

  it("a folder copy names the flipped bit, the deleted file and the stray file", async () => {
    expectNamed(await check(await damagedCopy("bad-folder")));
  });

  it("an rclone local remote uses the backend's SHA-256 and names the same three", async () => {
    const exact = join(tmp, "remote-ok");
    await cp(root, exact, { recursive: true });
    const ok = await check(`backup:${exact}`);
    expect(ok).toMatchObject({ ok: true, kind: "rclone", method: "rclone-sha256", recorded: true });
    const bad = await damagedCopy("remote-bad");
    expectNamed(await check(`backup:${bad}`));
  });

  it("a backend without SHA-256 (rclone serve http) is checked by --download", async () => {
    const bad = await damagedCopy("served");
    const port = await freePort();
    const server = await serveHttp(bad, port);
    try {
      await writeFile(process.env.RCLONE_CONFIG!, `[backup]\ntype = local\n\n[web]\ntype = http\nurl = http://127.0.0.1:${port}/\n`);
      await expect(check("web:")).rejects.toThrow(/no SHA-256.*--download/);
      const events: ProgressEvent[] = [];
      const r = await check("web:", { download: true, onEvent: (e) => events.push(e) });
      expect(r.method).toBe("rclone-download");
      expectNamed(r);
      // progress per file as rclone hashes them (a download can take hours)
      const progress = events.filter((e) => e.kind === "progress" && e.stage === "hash");
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.every((e) => e.kind === "progress" && e.done >= 1 && e.done <= (e.total ?? 0))).toBe(true);
    } finally {
      server.kill("SIGTERM");
    }
  });

  it("an MD5/SHA-1-only backend (rclone serve sftp) is checked against manifest-md5.txt, no download", async () => {
    const also = await writeExtraManifests(root, ["md5", "sha1"]);
    expect(also.failures).toEqual([]);
    const bad = await damagedCopy("sftp");
    const port = await freePort();
    const server = spawn("rclone", ["serve", "sftp", "--addr", `127.0.0.1:${port}`, "--user", "u", "--pass", "p", bad], { stdio: "ignore" });
    try {
      const obscured = (await execFileP("rclone", ["obscure", "p"])).stdout.trim();
      await writeFile(process.env.RCLONE_CONFIG!, `[backup]\ntype = local\n\n[sftp]\ntype = sftp\nhost = 127.0.0.1\nport = ${port}\nuser = u\npass = ${obscured}\n`);
      await waitForPort(port);
      const r = await check("sftp:");
      expect(r.method).toBe("rclone-md5");
      expectNamed(r);
    } finally {
      server.kill("SIGTERM");
    }
  });

  it("four runs of --sample 25 leave every archived item with a fresh verifiedAt", async () => {
    const since = new Date().toISOString();
    for (let i = 0; i < 4; i++) {
      const r = await check(undefined, { samplePct: 25 });
      expect(r.ok).toBe(true);
      expect(r.checked).toBe(Math.ceil(ARCHIVE_FILES.length / 4));
    }
    const ws = openWorkspace(root, { lock: false });
    try {
      for (const [, out] of ARCHIVE_FILES) {
        const at = verifiedAtOf(ws.catalog, out);
        expect(at !== null && at >= since, `${out} verified at ${at}`).toBe(true);
      }
    } finally {
      ws.close();
    }
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** `rclone serve http DIR` on 127.0.0.1:port, resolved once it answers. */
async function serveHttp(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn("rclone", ["serve", "http", "--addr", `127.0.0.1:${port}`, dir], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill("SIGTERM");
  throw new Error("rclone serve http did not start");
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
async function waitForPort(port: number): Promise<void> {
  const { connect } = await import("node:net");
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((res) => {
      const c = connect(port, "127.0.0.1", () => {
        c.end();
        res(true);
      });
      c.on("error", () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on port ${port}`);
}
