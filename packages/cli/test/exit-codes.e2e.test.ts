// Issue 14 #7 and #8 through the built CLI: strict arguments (exit 2 with a precise message),
// output to a closed pipe, everything skipped named in the text summary, and one meaning of the
// exit code across run, the stages and the accepted unreadable file of the sample library.
import { spawn } from "node:child_process";
import { copyFile, mkdir, symlink, writeFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { repoRoot, runArchive, tempDir, treeChecksum } from "../../../test/support.js";

describe("strict arguments", () => {
  it.each([
    [["convert", "--dry-run", "2019"], /unexpected argument "2019"/],
    [["convert", "--from", "2019-13-45"], /--from: "2019-13-45" is not a date: there is no month 13/],
    [["convert", "--to", "2019-02-29"], /2019-02 has 28 days/],
    [["convert", "--from", "2020-01-01", "--to", "2019-01-01"], /--from 2020-01-01 is after --to 2019-01-01/],
    [["convert", "--jobs", "-1"], /--jobs: expected a whole number from 1 to 64, got "-1"/],
    [["run", "--jobs", "-1", "lib"], /--jobs: expected a whole number from 1 to 64, got "-1"/],
    [["run"], /missing SOURCE/],
    [["verify", "extra"], /unexpected argument "extra"/],
    [["plan", "--batch-size", "0"], /--batch-size: expected a size above zero/],
    [["report", "--sample", "-5"], /--sample: expected a whole number from 0 to 1000, got "-5"/],
  ])("archive %j is a usage error (exit 2) that says why", async (args, message) => {
    const dir = await tempDir("archive-usage-");
    const r = await runArchive(args, dir);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/Usage: archive /);
    expect(r.stderr).not.toMatch(/ambiguous|at .*\.js:\d+/);
  });
});

describe("a small library with a FIFO, a linked folder, a PNG named .jpg and duplicates", () => {
  let lib: string;
  let ws: string;
  let planText: string;
  beforeAll(async () => {
    const tmp = await tempDir("archive-skip-");
    lib = join(tmp, "lib");
    ws = join(tmp, "ws");
    await mkdir(join(lib, "a"), { recursive: true });
    await mkdir(join(tmp, "elsewhere"));
    await copyFile(join(repoRoot(), "sample/library/IMG_0303.JPG"), join(lib, "a", "one.jpg"));
    await copyFile(join(repoRoot(), "sample/library/IMG_0303.JPG"), join(lib, "a", "two.jpg"));
    // a PNG named .jpg: 1x1 pixel
    await writeFile(join(lib, "fake.jpg"), Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082", "hex"));
    execFileSync("mkfifo", [join(lib, "pipe")]);
    await symlink(join(tmp, "elsewhere"), join(lib, "linked"));
    const r = await runArchive(["plan", lib, "-C", ws]);
    expect(r.code, r.stderr).toBe(0);
    planText = r.stdout;
  });

  it("plan's text summary names what --json names: the FIFO, the linked folder, the extension mismatch", () => {
    expect(planText).toMatch(/Skipped, not archived: 2/);
    expect(planText).toMatch(/^ {2}pipe: .*FIFO/m);
    expect(planText).toMatch(/^ {2}linked: .*link/m);
    expect(planText).toMatch(/Extension disagrees with the content: 1\n {2}fake\.jpg: a PNG named \.jpg/);
    expect(planText).toMatch(/2 unreadable or skipped entries are unresolved/);
  });

  it("output to a closed pipe ends quietly (archive dedupe | head -1)", async () => {
    const bin = join(repoRoot(), "packages/cli/bin/archive.js");
    const child = spawn(process.execPath, [bin, "dedupe", "-C", ws], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // read the first chunk, then close our end, as `head -1` does
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((res) => child.on("close", (c) => res(c)));
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
    expect(code).toBe(0);
  });
});

describe("one meaning of the exit code: the sample library's corrupt file", () => {
  let ws: string;
  let before: string;
  const library = join(repoRoot(), "sample/library");
  beforeAll(async () => {
    ws = join(await tempDir("archive-exit-"), "ws");
    before = treeChecksum(library);
  });

  it("run exits 1 and does not say ready while the unreadable file is unresolved; accepting it makes every stage 0", async () => {
    const run = await runArchive(["run", library, "-C", ws, "-q"]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).not.toMatch(/All stages passed|ready for offsite backup\./);
    expect(run.stdout + run.stderr).toMatch(/NOT ready for offsite backup: 1 unreadable or skipped source entry is unresolved/);
    expect(run.stdout).toContain("IMG_0999.HEIC");
    // the same state, the same answer from each stage
    expect((await runArchive(["convert", "-C", ws, "-q"])).code).toBe(1);
    const verify = await runArchive(["verify", "-C", ws, "-q", "--quick"]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/All checks passed, but the archive is NOT ready: 1 unresolved/);

    const accept = await runArchive(["verify", "-C", ws, "-q", "--quick", "--accept-unreadable"]);
    expect(accept.code, accept.stdout).toBe(0);
    expect(accept.stdout).toMatch(/Accepted as not archived \(--accept-unreadable, recorded\): 1\n {2}"IMG_0999\.HEIC"/);
    expect(accept.stdout).toMatch(/All checks passed\.$/m);
    // accepted is recorded: no stage reports it as something to look at any more
    expect((await runArchive(["convert", "-C", ws, "-q"])).code).toBe(0);
    expect((await runArchive(["verify", "-C", ws, "-q", "--quick"])).code).toBe(0);
    const again = await runArchive(["run", library, "-C", ws, "-q", "--quick"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/All stages passed\. The archive in .* is ready for offsite backup\./);
    const plan = await runArchive(["plan", "-C", ws]);
    expect(plan.stdout).toMatch(/accepted earlier \(--accept-unreadable\)/);
    expect(treeChecksum(library)).toBe(before);
  }, 300_000);
});
