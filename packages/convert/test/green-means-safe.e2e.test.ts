// End-to-end (issue 14, convert's part): photos convert on a machine without ffmpeg and the
// videos wait with the reason (#10); a PNG named .jpg is archived as .png and named (#8); an
// archived output changed afterwards is a fixity failure, never adopted into the manifest (#1);
// `--redo` re-creates it and records the hash it replaced; a no-op re-run claims no new failure (#7).
import { copyFile, mkdir, open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ConvertResult } from "@archive/convert";
import { archiveJson, execFileP, hasTool, journal, realFixtures, runArchive, sha256File, tempDir, treeChecksum } from "./helpers.js";

const real = realFixtures();
const haveTools = (await hasTool("ffmpeg", ["-version"])) && (await hasTool("exiftool", ["-ver"]));

/** The manifest's lines as path -> hash. */
async function manifestLines(ws: string): Promise<Map<string, string>> {
  const text = await readFile(join(ws, "manifest-sha256.txt"), "utf8");
  return new Map(text.trim().split("\n").map((l) => [l.slice(66), l.slice(0, 64)]));
}

/** Flip one byte in the middle of a file, in place (what bit rot does). */
async function flipByte(file: string): Promise<void> {
  const fh = await open(file, "r+");
  try {
    const { size } = await fh.stat();
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, Math.floor(size / 2));
    b[0] = b[0]! ^ 0xff;
    await fh.write(b, 0, 1, Math.floor(size / 2));
  } finally {
    await fh.close();
  }
}

describe.skipIf(!real || !haveTools)("convert: green means safe", () => {
  it("no ffmpeg: photos convert, videos wait with the reason; later they convert", async () => {
    const lib = join(await tempDir("archive-g-lib-"), "lib");
    const ws = join(await tempDir("archive-g-ws-"), "ws");
    await mkdir(lib);
    await copyFile(join(real!, "osxphotos/IMG_0102.HEIC"), join(lib, "IMG_0102.HEIC"));
    await copyFile(join(real!, "exoplayer/dolbyVision-hdr.MOV"), join(lib, "clip.MOV"));
    await copyFile(join(real!, "osxphotos/IMG_2908.PNG"), join(lib, "fake.jpg"));
    const before = treeChecksum(lib);
    expect((await runArchive(["plan", lib, "-C", ws, "-q"])).code).toBe(0);

    const gone = ["--ffmpeg", "/nonexistent/ffmpeg", "--ffprobe", "/nonexistent/ffprobe"];
    const dry = await archiveJson<ConvertResult>(ws, ["convert", "--dry-run", ...gone]);
    expect(dry.json.planned).toContainEqual({ path: "clip.MOV", action: "pending", reason: expect.stringMatching(/^ffmpeg not found/) });
    expect(dry.json.planned).toContainEqual({ path: "fake.jpg", action: "copy", output: "converted/fake.png" });
    const first = await archiveJson<ConvertResult>(ws, ["convert", ...gone]);
    expect(first.code, first.stderr).toBe(1);
    expect(first.json).toMatchObject({ converted: 1, copied: 1, failed: [] });
    expect(first.json.pending).toEqual([{ path: "clip.MOV", reason: expect.stringMatching(/^ffmpeg not found/) }]);
    // the PNG named .jpg: archived as .png, and said so
    expect(first.json.renamed).toEqual([{ path: "fake.jpg", output: "converted/fake.png", reason: expect.stringMatching(/PNG/) }]);
    const jobs = journal(ws);
    expect(jobs.get("fake.jpg")).toMatchObject({ action: "copy", output_rel: "converted/fake.png" });
    expect(jobs.get("IMG_0102.HEIC")).toMatchObject({ action: "convert", status: "done" });
    expect(jobs.has("clip.MOV")).toBe(false);
    const text = await runArchive(["convert", "-C", ws, ...gone]);
    expect(text.stdout).toMatch(/Pending, not converted \(1\)/);
    expect(text.stdout).toMatch(/clip\.MOV: ffmpeg not found/);

    const second = await archiveJson<ConvertResult>(ws, ["convert"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.json).toMatchObject({ converted: 1, alreadyDone: 2, pending: [], failed: [] });
    expect(journal(ws).get("clip.MOV")).toMatchObject({ action: "convert", status: "done", output_rel: "converted/clip.mp4" });
    expect(treeChecksum(lib)).toBe(before);
  }, 240_000);

  it("a changed archived output is a fixity failure; --redo re-creates it and records what it replaced", async () => {
    const lib = join(await tempDir("archive-g-lib-"), "lib");
    const ws = join(await tempDir("archive-g-ws-"), "ws");
    await mkdir(lib);
    await copyFile(join(real!, "lychee/train.jpg"), join(lib, "a.jpg"));
    await copyFile(join(real!, "exiv2/issue_1793_poc.heic"), join(lib, "broken.heic"));
    expect((await runArchive(["plan", lib, "-C", ws, "-q"])).code).toBe(0);
    const first = await archiveJson<ConvertResult>(ws, ["convert"]);
    expect(first.code).toBe(1); // the broken source
    expect(first.json.failed.map((f) => f.path)).toEqual(["broken.heic"]);
    // a no-op re-run: the broken source is still open (exit 1) but nothing failed anew
    const noop = await archiveJson<ConvertResult>(ws, ["convert"]);
    expect(noop.code).toBe(1);
    expect(noop.json.failed).toEqual([]);
    expect(noop.json.unresolved.map((f) => f.path)).toEqual(["broken.heic"]);

    const out = join(ws, "converted/a.jpg");
    const written = await sha256File(out);
    expect((await manifestLines(ws)).get("converted/a.jpg")).toBe(written);
    await flipByte(out);
    const rotten = await sha256File(out);

    const after = await archiveJson<ConvertResult & { manifest: { failures: { path: string }[] } }>(ws, ["convert"]);
    expect(after.code).toBe(1);
    expect(after.json.fixity).toEqual([{ path: "converted/a.jpg", reason: expect.stringContaining(written) }]);
    expect(after.json.copied).toBe(0);
    // the manifest keeps the hash convert wrote; the damaged bytes are never adopted
    expect((await manifestLines(ws)).get("converted/a.jpg")).toBe(written);
    expect(journal(ws).get("a.jpg")!.output_sha256).toBe(written);
    expect(await sha256File(out)).toBe(rotten); // convert does not silently replace it either
    const check = await execFileP("sha256sum", ["-c", "--quiet", "manifest-sha256.txt"], { cwd: ws }).then(() => 0, (e: { code: number }) => e.code);
    expect(check).toBe(1);

    const unknown = await runArchive(["convert", "-C", ws, "--redo", "converted/nothing.jpg"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/not an output/);

    const redo = await archiveJson<ConvertResult>(ws, ["convert", "--redo", "converted/a.jpg"]);
    expect(redo.code, redo.stderr).toBe(0);
    expect(redo.json).toMatchObject({ selected: 1, copied: 1, fixity: [] });
    expect(redo.json.redone).toEqual([{ path: "a.jpg", output: "converted/a.jpg", replacedSha256: written, foundSha256: rotten, replacedAt: expect.any(String) }]);
    // the text names both: the damaged file's hash and the one recorded (QA: it printed only the recorded one, as "replaced")
    await flipByte(out);
    const text = await runArchive(["convert", "-C", ws, "--redo", "converted/a.jpg"]);
    expect(text.stdout).toContain(`converted/a.jpg: replaced found ${rotten} (recorded ${written})`);
    expect(await sha256File(out)).toBe(written);
    const job = journal(ws).get("a.jpg")!;
    expect(job.output_sha256).toBe(written);
    expect(JSON.parse(job.params!).replaced).toMatchObject({ output: "converted/a.jpg", sha256: written, at: expect.any(String) });
    expect((await manifestLines(ws)).get("converted/a.jpg")).toBe(written);

    const clean = await archiveJson<ConvertResult>(ws, ["convert"]);
    expect(clean.json).toMatchObject({ alreadyDone: 1, fixity: [], failed: [] });
  }, 240_000);
});
