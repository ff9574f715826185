// Issue 14, "green means safe", the verify side, end to end through the built CLI on a real
// conversion (HEIC -> JPEG with libheif, a JPEG copied byte-exact):
//   #1 the manifest is evidence: a changed archived file is a fixity failure, never a new hash
//   #2 the manifest and verify cover the archive's own outputs; a foreign file is "extra"
//   #6 a read-only archive verifies as `nobody` without a single write
import { spawnSync } from "node:child_process";
import { copyFile, mkdir, open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { execFileP, hasTool, realFixtures, repoRoot, runArchive, tempDir, treeChecksum } from "../../../test/support.js";

const real = realFixtures();
const tools = (await hasTool("exiftool", ["-ver"])) && (await hasTool("sha256sum", ["--version"]));
const bin = join(repoRoot(), "packages/cli/bin/archive.js");

interface Failure {
  path: string;
  reason: string;
}
interface VerifyJson {
  ok: boolean;
  checks: { name: string; failures: Failure[]; notes: string[] }[];
}

/** A library of one iPhone HEIC (converted) and one JPEG (copied), planned and converted into `ws`. */
async function convertedArchive(): Promise<{ src: string; ws: string }> {
  const src = await tempDir("evidence-src-");
  const ws = await tempDir("evidence-ws-");
  await copyFile(join(real!, "osxphotos/IMG_1853.HEIC"), join(src, "IMG_1853.HEIC"));
  await copyFile(join(real!, "lychee/train.jpg"), join(src, "train.jpg"));
  const plan = await runArchive(["plan", src, "-C", ws, "-q"]);
  expect(plan.code, plan.stderr).toBe(0);
  const conv = await runArchive(["convert", "-C", ws]);
  expect(conv.code, conv.stdout + conv.stderr).toBe(0);
  return { src, ws };
}

/** Flip one byte in the middle of `file` (what bit rot or tampering does). */
async function flipByte(file: string): Promise<void> {
  const fh = await open(file, "r+");
  try {
    const { size } = await fh.stat();
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, Math.floor(size / 2));
    b[0] = b[0]! ^ 0x01;
    await fh.write(b, 0, 1, Math.floor(size / 2));
  } finally {
    await fh.close();
  }
}

const sha256sumCheck = (ws: string) => spawnSync("sha256sum", ["-c", "--strict", "--quiet", "manifest-sha256.txt"], { cwd: ws, encoding: "utf8" });
const fixityFailures = (r: VerifyJson) => r.checks.find((c) => c.name === "fixity")?.failures ?? [];

describe.skipIf(!real || !tools)("the manifest is evidence, not a cache (issue 14 #1)", () => {
  let ws: string;
  let jpeg: string;
  let before: string;
  beforeAll(async () => {
    ({ ws } = await convertedArchive());
    before = await readFile(join(ws, "manifest-sha256.txt"), "utf8");
    jpeg = before.split("\n").find((l) => l.endsWith("IMG_1853.jpg"))!.slice(66);
    expect(jpeg).toMatch(/^converted\/.*IMG_1853\.jpg$/);
    expect(sha256sumCheck(ws).status).toBe(0);
    await flipByte(join(ws, jpeg));
  }, 240_000);

  it("convert again: exit 1 naming the file, the manifest keeps the old hash, sha256sum -c fails", async () => {
    const again = await runArchive(["convert", "-C", ws]);
    expect(again.code, again.stdout + again.stderr).toBe(1);
    expect(again.stdout + again.stderr).toContain(jpeg);
    expect(again.stdout).not.toMatch(/1 hashed now/);
    expect(await readFile(join(ws, "manifest-sha256.txt"), "utf8")).toBe(before);
    expect(sha256sumCheck(ws).status).toBe(1);
  }, 120_000);

  it("archive manifest: exit 1 naming the file, the manifest unchanged", async () => {
    const m = await runArchive(["manifest", "-C", ws, "--json"]);
    expect(m.code, m.stderr).toBe(1);
    const j = JSON.parse(m.stdout) as { failures: Failure[] };
    expect(j.failures).toEqual([{ path: jpeg, reason: expect.stringMatching(/changed since it was archived/) }]);
    expect(await readFile(join(ws, "manifest-sha256.txt"), "utf8")).toBe(before);
  }, 120_000);

  it("verify (full and --quick) fails fixity on the file", async () => {
    for (const quick of [[], ["--quick"]]) {
      const v = await runArchive(["verify", "-C", ws, "--json", ...quick]);
      expect(v.code, v.stderr).toBe(1);
      expect(fixityFailures(JSON.parse(v.stdout) as VerifyJson)).toContainEqual(expect.objectContaining({ path: jpeg }));
    }
  }, 120_000);
});

describe.skipIf(!real || !tools)("the archive is the archive only (issue 14 #2)", () => {
  it("a foreign file is never put in the manifest; verify reports it as extra and exits 1", async () => {
    const { ws } = await convertedArchive();
    await writeFile(join(ws, "notes.txt"), "my notes\n");
    await mkdir(join(ws, "converted/mine"), { recursive: true });
    await writeFile(join(ws, "converted/mine/stray.jpg"), "not a photo\n");
    const m = await runArchive(["manifest", "-C", ws]);
    const manifest = await readFile(join(ws, "manifest-sha256.txt"), "utf8");
    expect(manifest).not.toContain("notes.txt");
    expect(manifest).not.toContain("stray.jpg");
    expect(manifest.trim().split("\n")).toHaveLength(2);
    expect(m.stdout).toContain("notes.txt");
    const v = await runArchive(["verify", "-C", ws, "--json"]);
    expect(v.code).toBe(1);
    const extra = fixityFailures(JSON.parse(v.stdout) as VerifyJson);
    expect(extra).toEqual([
      { path: "converted/mine/stray.jpg", reason: expect.stringMatching(/^extra: /) },
      { path: "notes.txt", reason: expect.stringMatching(/^extra: /) },
    ]);
    // the report and the bag are the archive's own declared files, never extra
    expect((await runArchive(["manifest", "-C", ws, "--bagit"])).code).toBe(0);
    expect((await runArchive(["report", "-C", ws])).code).toBeLessThan(2);
    const again = JSON.parse((await runArchive(["verify", "-C", ws, "--json", "--quick"])).stdout) as VerifyJson;
    expect(fixityFailures(again).map((f) => f.path)).toEqual(["converted/mine/stray.jpg", "notes.txt"]);
  }, 240_000);
});

const canSetpriv = process.getuid?.() === 0 && spawnSync("setpriv", ["--version"]).status === 0;

describe.skipIf(!real || !tools || !canSetpriv)("a read-only archive verifies without writing (issue 14 #6)", () => {
  it("archive verify, --quick, --at COPY and --sample as nobody on a root-owned 0555/0444 archive: exit 0, nothing written", async () => {
    const { ws } = await convertedArchive();
    spawnSync("chown", ["-R", "root:root", ws]);
    spawnSync("find", [ws, "-type", "d", "-exec", "chmod", "0555", "{}", "+"]);
    spawnSync("find", [ws, "-type", "f", "-exec", "chmod", "0444", "{}", "+"]);
    const before = treeChecksum(ws);
    for (const quick of [[], ["--quick"]]) {
      const r = spawnSync(
        "setpriv",
        ["--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, bin, "verify", "-C", ws, ...quick],
        { encoding: "utf8", env: { ...process.env, HOME: "/nonexistent", NO_COLOR: "1" }, timeout: 180_000 },
      );
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain("All checks passed.");
      expect(r.stdout + r.stderr).toMatch(/read-only.*run record/i);
    }
    expect(treeChecksum(ws)).toBe(before);
    // the copy check and the scrub work on it too (issue 11): checked, nothing recorded
    const copy = await tempDir("evidence-copy-");
    spawnSync("cp", ["-a", join(ws, "converted"), join(ws, "manifest-sha256.txt"), copy]);
    spawnSync("chmod", ["-R", "a+rX", copy]);
    for (const args of [["--at", copy], ["--sample", "50"]]) {
      const r = spawnSync(
        "setpriv",
        ["--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, bin, "verify", "-C", ws, ...args],
        { encoding: "utf8", env: { ...process.env, HOME: "/nonexistent", NO_COLOR: "1" }, timeout: 180_000 },
      );
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain("All checked files match the manifest.");
      expect(r.stderr).toMatch(/read-only: nothing was written/);
    }
    expect(treeChecksum(ws)).toBe(before);
    // and the archive still verifies as its owner afterwards, with the run recorded
    const { stdout } = await execFileP(process.execPath, [bin, "verify", "-C", ws, "--quick"], { env: { ...process.env, NO_COLOR: "1" } }).catch((e: { stdout: string }) => e);
    expect(stdout).toContain("All checks passed.");
  }, 360_000);
});
