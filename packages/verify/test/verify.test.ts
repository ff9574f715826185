import { appendFile, open, readFile, rename, rm, stat, truncate, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExifTool, openWorkspace, type ExifTool, type ProgressEvent } from "@archive/core";
import { buildManifest, verify, type VerifyReport } from "../src/index.js";
import { buildArchive, cloneArchive, execFileP, hasTool, journalWrote, realFixtures, repoRoot, tempDir } from "./helpers.js";

const fixtures = realFixtures();
const tools = (await hasTool("ffmpeg", ["-version"])) && (await hasTool("exiftool", ["-ver"])) && (await hasTool("sha256sum", ["--version"]));

async function manifestOf(root: string): Promise<void> {
  const ws = openWorkspace(root, { lock: false });
  try {
    await buildManifest({ workspace: root, catalog: ws.catalog });
  } finally {
    ws.close();
  }
}

let et: ExifTool;
async function verifyAt(root: string, opts: { quick?: boolean; complete?: boolean } = {}): Promise<VerifyReport> {
  const ws = openWorkspace(root, { lock: false });
  try {
    return await verify({ workspace: root, catalog: ws.catalog, exiftool: et, ...opts });
  } finally {
    ws.close();
  }
}

const failuresOf = (r: VerifyReport) => r.checks.flatMap((c) => c.failures.map((f) => ({ check: c.name, ...f })));

describe.skipIf(!fixtures || !tools)("verify on a small real archive", () => {
  let template: string;
  beforeAll(async () => {
    et = createExifTool();
    template = await tempDir();
    await buildArchive(fixtures!, template);
    await manifestOf(template);
  });
  afterAll(async () => {
    await et?.end();
    if (template) await rm(template, { recursive: true, force: true });
  });

  it("an untouched archive passes every check, and lists what is not converted yet", async () => {
    const r = await verifyAt(template);
    expect(failuresOf(r)).toEqual([]);
    expect(r.ok).toBe(true);
    const by = Object.fromEntries(r.checks.map((c) => [c.name, c]));
    expect(by.fixity!.passed).toBe(4);
    expect(by.metadata!.passed).toBe(1); // train.mp4 against train.mov
    expect(by.decode!.passed).toBe(4);
    expect(r.notConvertedYet).toEqual(["exiv2/issue_ghsa_fgw8_p7pr_37cp_poc.mov"]);
    expect(by.completeness!.skipped.map((s) => s.path)).toContain("osxphotos/wedding.AAE");
  });

  it("--complete fails on items not converted yet", async () => {
    const r = await verifyAt(template, { complete: true });
    expect(r.ok).toBe(false);
    expect(failuresOf(r)).toEqual([
      expect.objectContaining({ check: "completeness", path: "exiv2/issue_ghsa_fgw8_p7pr_37cp_poc.mov" }),
    ]);
  });

  it("sha256sum -c accepts the manifest as is", async () => {
    const { stdout } = await execFileP("sha256sum", ["-c", "--strict", "manifest-sha256.txt"], { cwd: template });
    expect(stdout.trim().split("\n")).toHaveLength(4);
    expect(stdout).toContain("converted/2011/Apple iPhone 4.jpg: OK");
  });

  it("a flipped bit (size and mtime kept) fails fixity and names the file", async () => {
    const dir = await cloneArchive(template);
    const f = join(dir, "converted/2011/Apple iPhone 4.jpg");
    const st = await stat(f);
    const fh = await open(f, "r+");
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, 200_000);
    b[0] = b[0]! ^ 0x10;
    await fh.write(b, 0, 1, 200_000);
    await fh.close();
    await utimes(f, st.atime, st.mtime);
    const r = await verifyAt(dir);
    expect(r.ok).toBe(false);
    const fx = r.checks.find((c) => c.name === "fixity")!;
    expect(fx.failures).toEqual([expect.objectContaining({ path: "converted/2011/Apple iPhone 4.jpg", reason: expect.stringContaining("SHA-256 mismatch") })]);
    await rm(dir, { recursive: true, force: true });
  });

  it("a deleted file fails fixity and completeness, naming it", async () => {
    const dir = await cloneArchive(template);
    await rm(join(dir, "converted/2021/train.jpg"));
    const r = await verifyAt(dir);
    expect(r.ok).toBe(false);
    const f = failuresOf(r);
    expect(f).toContainEqual(expect.objectContaining({ check: "fixity", path: "converted/2021/train.jpg", reason: expect.stringContaining("missing") }));
    expect(f).toContainEqual(expect.objectContaining({ check: "completeness", path: "lychee/train.jpg", reason: expect.stringContaining("converted/2021/train.jpg is missing") }));
    await rm(dir, { recursive: true, force: true });
  });

  it("an added file fails, naming it; temporary files are ignored", async () => {
    const dir = await cloneArchive(template);
    await writeFile(join(dir, "converted/2021/stray.txt"), "not in the manifest\n");
    await writeFile(join(dir, "converted/2021/.archive-tmp-123-abcd.jpg"), "in flight\n");
    const r = await verifyAt(dir, { quick: true });
    expect(r.ok).toBe(false);
    expect(failuresOf(r)).toEqual([
      expect.objectContaining({ check: "fixity", path: "converted/2021/stray.txt", reason: expect.stringContaining("not in the manifest") }),
    ]);
    expect(r.checks.find((c) => c.name === "fixity")!.notes.join(" ")).toContain("--quick");
    await rm(dir, { recursive: true, force: true });
  });

  it("a truncated video fails fixity, and decode even after the manifest is re-made", async () => {
    const dir = await cloneArchive(template);
    const f = join(dir, "converted/2021/train.mp4");
    await truncate(f, Math.floor((await stat(f)).size * 0.6));
    const before = await verifyAt(dir, { quick: true });
    expect(failuresOf(before)).toContainEqual(expect.objectContaining({ check: "fixity", path: "converted/2021/train.mp4" }));
    // convert wrote these damaged bytes (the journal says so): fixity then agrees, decode must still catch it
    await journalWrote(dir, "converted/2021/train.mp4");
    await manifestOf(dir);
    const r = await verifyAt(dir);
    expect(r.ok).toBe(false);
    const f2 = failuresOf(r);
    expect(f2).toContainEqual(expect.objectContaining({ check: "decode", path: "converted/2021/train.mp4" }));
    expect(f2.filter((x) => x.check === "fixity")).toEqual([]);
    // --quick's ffprobe packet count catches it too
    const q = await verifyAt(dir, { quick: true });
    expect(failuresOf(q)).toContainEqual(expect.objectContaining({ check: "decode", path: "converted/2021/train.mp4", reason: expect.stringContaining("truncated") }));
    await rm(dir, { recursive: true, force: true });
  });

  it("a truncated JPEG fails decode", async () => {
    const dir = await cloneArchive(template);
    const f = join(dir, "converted/2011/Apple iPhone 4.jpg");
    await truncate(f, Math.floor((await stat(f)).size * 0.7));
    await journalWrote(dir, "converted/2011/Apple iPhone 4.jpg");
    await manifestOf(dir);
    const r = await verifyAt(dir);
    expect(failuresOf(r)).toEqual([
      expect.objectContaining({ check: "decode", path: "converted/2011/Apple iPhone 4.jpg", reason: expect.stringMatching(/image does not decode/) }),
    ]);
    await rm(dir, { recursive: true, force: true });
  });

  it("lost metadata in a converted video fails parity, naming the fields", async () => {
    const dir = await cloneArchive(template);
    const f = join(dir, "converted/2021/train.mp4");
    await execFileP("exiftool", ["-q", "-overwrite_original", "-Keys:All=", "-ItemList:All=", "-UserData:All=", f]);
    await journalWrote(dir, "converted/2021/train.mp4");
    await manifestOf(dir);
    const r = await verifyAt(dir);
    const m = failuresOf(r).filter((x) => x.check === "metadata");
    expect(m).toHaveLength(1);
    expect(m[0]!.path).toBe("converted/2021/train.mp4");
    expect(m[0]!.reason).toMatch(/GPS position lost/);
    expect(m[0]!.reason).toMatch(/content id E905E6C6-C747-4805-942F-9904A0281F02 lost/);
    await rm(dir, { recursive: true, force: true });
  });

  it("a half-archived Live Photo pair fails completeness", async () => {
    const dir = await cloneArchive(template);
    const ws = openWorkspace(dir, { lock: false });
    try {
      ws.catalog.db.prepare("UPDATE jobs SET status = 'failed', reason = 'ffmpeg: boom', output_rel = NULL WHERE output_rel = 'converted/2021/train.mp4'").run();
    } finally {
      ws.close();
    }
    await rm(join(dir, "converted/2021/train.mp4"));
    await manifestOf(dir);
    const r = await verifyAt(dir);
    const c = failuresOf(r).filter((x) => x.check === "completeness");
    expect(c).toContainEqual(expect.objectContaining({ path: "lychee/train.mov", reason: expect.stringContaining("conversion failed: ffmpeg: boom") }));
    expect(c).toContainEqual(expect.objectContaining({ path: "lychee/train.jpg", reason: expect.stringContaining("Live Photo pair") }));
    await rm(dir, { recursive: true, force: true });
  });

  it("the CLI: archive verify exits 0 on a good archive and 1 with --json failures on a damaged one", async () => {
    const bin = join(repoRoot(), "packages/cli/bin/archive.js");
    const ok = await execFileP(process.execPath, [bin, "verify", "-C", template, "--quick"], { env: { ...process.env, NO_COLOR: "1" } });
    expect(ok.stdout).toContain("All checks passed.");
    const dir = await cloneArchive(template);
    await appendFile(join(dir, "converted/2019/with-gps.mov"), "x");
    const bad = await execFileP(process.execPath, [bin, "verify", "-C", dir, "--json"]).then(
      () => ({ code: 0, stdout: "" }),
      (e: { code: number; stdout: string }) => e,
    );
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout) as VerifyReport;
    expect(failuresOf(report)).toContainEqual(expect.objectContaining({ check: "fixity", path: "converted/2019/with-gps.mov" }));
    await rm(dir, { recursive: true, force: true });
  });

  it("the CLI: archive manifest --bagit writes the manifest and the bag; --help documents both", async () => {
    const bin = join(repoRoot(), "packages/cli/bin/archive.js");
    const dir = await cloneArchive(template);
    const r = await execFileP(process.execPath, [bin, "manifest", "--bagit", "-C", dir], { env: { ...process.env, NO_COLOR: "1" } });
    expect(r.stdout).toContain("4 files");
    expect(await readFile(join(dir, "bag/manifest-sha256.txt"), "utf8")).toContain("  data/converted/2011/Apple iPhone 4.jpg\n");
    expect((await stat(join(dir, "bag/data/converted/2021/train.mp4"))).ino).toBe((await stat(join(dir, "converted/2021/train.mp4"))).ino);
    // the bag is checked too: in step with the manifest it passes; a replaced file makes it stale
    expect(failuresOf(await verifyAt(dir, { quick: true }))).toEqual([]);
    const jpg = join(dir, "converted/2021/train.jpg");
    await writeFile(`${jpg}.new`, await readFile(jpg));
    await rename(`${jpg}.new`, jpg); // same bytes, new inode: the bag still holds the old file
    await manifestOf(dir);
    const stale = failuresOf(await verifyAt(dir, { quick: true }));
    expect(stale).toEqual([expect.objectContaining({ check: "fixity", path: "bag/data/converted/2021/train.jpg", reason: expect.stringContaining("archive manifest --bagit") })]);
    for (const cmd of ["manifest", "verify"]) {
      const h = await execFileP(process.execPath, [bin, cmd, "--help"]);
      expect(h.stdout).toContain(cmd === "manifest" ? "--bagit" : "--quick");
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("the manifest is incremental: unchanged files come from the hash cache", async () => {
    const dir = await cloneArchive(template);
    const ws = openWorkspace(dir, { lock: false });
    try {
      const events: ProgressEvent[] = [];
      const first = await buildManifest({ workspace: dir, catalog: ws.catalog, onEvent: (e) => events.push(e) });
      expect(first.hashed).toBe(4); // a copy has new inodes
      expect(events).toContainEqual({ kind: "stage", stage: "hash", total: 4 });
      expect(events.filter((e) => e.kind === "progress" && e.stage === "hash").at(-1)).toMatchObject({ done: 4, total: 4 });
      const vEvents: ProgressEvent[] = [];
      await verify({ workspace: dir, catalog: ws.catalog, quick: true, checks: ["decode"], onEvent: (e) => vEvents.push(e) });
      expect(vEvents.filter((e) => e.kind === "progress" && e.stage === "decode").at(-1)).toMatchObject({ done: 4, total: 4, failed: 0 });
      const second = await buildManifest({ workspace: dir, catalog: ws.catalog });
      expect(second).toMatchObject({ files: 4, hashed: 0, cached: 4 });
      expect(await readFile(join(dir, "manifest-sha256.txt"), "utf8")).toBe(await readFile(join(template, "manifest-sha256.txt"), "utf8"));
    } finally {
      ws.close();
    }
    await rm(dir, { recursive: true, force: true });
  });
});
