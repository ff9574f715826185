// End-to-end (issue 14, "a green result must never be wrong", "the manifest is evidence"): a
// source whose bytes change in the library after it was archived (bit rot, or an edit) must
// never replace its archived output. The old output stays byte-identical with its manifest line,
// the new content is archived beside it, plan and convert name the file, verify --complete
// passes with both. A multi-image HEIF (spatial photo) also keeps its byte-exact original.
// A source that vanishes from the library keeps its outputs and their lines.
import { chmod, copyFile, mkdir, open, readFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ConvertResult } from "@archive/convert";
import type { ListEntry, PlanSummary } from "@archive/core";
import { archiveJson, hasTool, realFixtures, runArchive, sha256File, tempDir } from "./helpers.js";

const real = realFixtures();
const haveTools = await hasTool("exiftool", ["-ver"]);

/** The manifest's lines as path -> hash. */
async function manifestLines(ws: string): Promise<Map<string, string>> {
  const text = await readFile(join(ws, "manifest-sha256.txt"), "utf8");
  return new Map(text.trim().split("\n").map((l) => [l.slice(66), l.slice(0, 64)]));
}

/** Flip one bit at `pos` (negative: from the end), in place: what bit rot in the library does. */
async function flipBit(file: string, pos: number): Promise<void> {
  await chmod(file, 0o644);
  const fh = await open(file, "r+");
  try {
    const { size } = await fh.stat();
    const at = pos < 0 ? size + pos : pos;
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0] = b[0]! ^ 0x10;
    await fh.write(b, 0, 1, at);
  } finally {
    await fh.close();
  }
}

async function listJson(ws: string): Promise<ListEntry[]> {
  const r = await runArchive(["list", "-C", ws, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim().split("\n").map((l) => JSON.parse(l) as ListEntry);
}

describe.skipIf(!real || !haveTools)("convert: a source changed after it was archived", () => {
  it("keeps the archived output, archives the new content beside it, names it; a spatial photo keeps its original", async () => {
    const lib = join(await tempDir("archive-chg-lib-"), "lib");
    const ws = join(await tempDir("archive-chg-ws-"), "ws");
    await mkdir(lib);
    await copyFile(join(real!, "lychee/train.jpg"), join(lib, "c.jpg"));
    await copyFile(join(real!, "osxphotos/IMG_1853.HEIC"), join(lib, "IMG_1853.HEIC"));
    await copyFile(join(real!, "pillow_heif/spatial_photo.heic"), join(lib, "spatial_photo.heic"));
    expect((await runArchive(["plan", lib, "-C", ws, "-q"])).code).toBe(0);
    const first = await archiveJson<ConvertResult>(ws, ["convert"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json).toMatchObject({ converted: 2, copied: 1, failed: [] });

    // the spatial photo: its second eye is not in the JPEG, so the byte-exact original is kept and recorded
    expect(first.json.originalsKept).toEqual([{ path: "spatial_photo.heic", original: "originals/spatial_photo.heic", reason: expect.stringMatching(/^2 images in the file/) }]);
    const spatialSha = await sha256File(join(lib, "spatial_photo.heic"));
    expect(await sha256File(join(ws, "originals/spatial_photo.heic"))).toBe(spatialSha);
    expect((await manifestLines(ws)).get("originals/spatial_photo.heic")).toBe(spatialSha);

    const outputs = ["converted/c.jpg", "converted/IMG_1853.jpg"];
    const before = new Map(await Promise.all(outputs.map(async (o) => [o, await sha256File(join(ws, o))] as const)));
    const manifestBefore = await manifestLines(ws);
    for (const o of outputs) expect(manifestBefore.get(o)).toBe(before.get(o));

    // bit rot in the library
    await flipBit(join(lib, "c.jpg"), Math.floor(3478530 / 2));
    await flipBit(join(lib, "IMG_1853.HEIC"), -5000);

    const plan = await archiveJson<PlanSummary>(ws, ["plan", lib]);
    expect(plan.json.changedSinceArchived).toEqual({
      files: 2,
      examples: expect.arrayContaining([{ path: "c.jpg", output: "converted/c.jpg" }, { path: "IMG_1853.HEIC", output: "converted/IMG_1853.jpg" }]),
    });
    const planText = await runArchive(["plan", lib, "-C", ws]);
    expect(planText.stdout).toMatch(/Changed since archived: 2/);
    expect(planText.stdout).toMatch(/c\.jpg: archived as converted\/c\.jpg \(kept\)/);

    const dry = await runArchive(["convert", "--dry-run", "-C", ws]);
    expect(dry.stdout).toMatch(/Changed since archived \(2\)/);
    expect(dry.stdout).toMatch(/IMG_1853\.HEIC: kept converted\/IMG_1853\.jpg, new content -> converted\/IMG_1853~2\.jpg/);
    const second = await archiveJson<ConvertResult>(ws, ["convert"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.json).toMatchObject({ converted: 1, copied: 1, failed: [], fixity: [] });
    expect(second.json.changed).toEqual(
      expect.arrayContaining([
        { path: "c.jpg", kept: "converted/c.jpg", output: "converted/c~2.jpg" },
        { path: "IMG_1853.HEIC", kept: "converted/IMG_1853.jpg", output: "converted/IMG_1853~2.jpg" },
      ]),
    );
    expect(second.json.changed).toHaveLength(2);

    // the archived outputs are untouched, byte for byte, and keep their manifest lines
    const manifest = await manifestLines(ws);
    for (const o of outputs) {
      expect(await sha256File(join(ws, o))).toBe(before.get(o));
      expect(manifest.get(o)).toBe(before.get(o));
    }
    // the new content is archived beside them: the damaged copy byte-exact, the HEIC converted anew
    expect(await sha256File(join(ws, "converted/c~2.jpg"))).toBe(await sha256File(join(lib, "c.jpg")));
    expect(manifest.get("converted/c~2.jpg")).toBe(await sha256File(join(ws, "converted/c~2.jpg")));
    expect(manifest.get("converted/IMG_1853~2.jpg")).toBe(await sha256File(join(ws, "converted/IMG_1853~2.jpg")));
    expect(manifest.get("originals/spatial_photo.heic")).toBe(spatialSha);

    // a re-run is a no-op: nothing kept twice, nothing replaced
    const third = await archiveJson<ConvertResult>(ws, ["convert"]);
    expect(third.json).toMatchObject({ converted: 0, copied: 0, alreadyDone: 3, changed: [] });
    expect((await archiveJson<PlanSummary>(ws, ["plan", lib])).json.changedSinceArchived?.files).toBe(0);

    const verify = await runArchive(["verify", "--complete", "-C", ws]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/All checks passed/);

    const list = await listJson(ws);
    const c = list.find((e) => e.source.endsWith("/c.jpg"))!;
    expect(c).toMatchObject({ status: "archived", output: "converted/c~2.jpg", kept: ["converted/c.jpg"] });
    expect(list.find((e) => e.source.endsWith("/IMG_1853.HEIC"))).toMatchObject({ output: "converted/IMG_1853~2.jpg", kept: ["converted/IMG_1853.jpg"] });
    expect((await runArchive(["list", "-C", ws])).stdout).toMatch(/c~2\.jpg {2}\(earlier content kept: converted\/c\.jpg\)/);

    // --redo stays the explicit way to replace an output
    const redo = await archiveJson<ConvertResult>(ws, ["convert", "--redo", "converted/IMG_1853~2.jpg"]);
    expect(redo.code, redo.stderr).toBe(0);
    expect(redo.json.redone).toEqual([expect.objectContaining({ path: "IMG_1853.HEIC", output: "converted/IMG_1853~2.jpg" })]);
    expect(redo.json.changed).toEqual([]);
    expect(await sha256File(join(ws, "converted/IMG_1853.jpg"))).toBe(before.get("converted/IMG_1853.jpg"));

    // a source that vanishes from the library: its outputs (both versions) and their lines stay
    await rm(join(lib, "c.jpg"), { force: true });
    expect((await runArchive(["plan", lib, "-C", ws, "-q"])).code).toBe(0);
    expect((await runArchive(["convert", "-C", ws, "-q"])).code).toBe(0);
    const after = await manifestLines(ws);
    expect(existsSync(join(ws, "converted/c.jpg")) && existsSync(join(ws, "converted/c~2.jpg"))).toBe(true);
    expect(after.get("converted/c.jpg")).toBe(before.get("converted/c.jpg"));
    expect(after.has("converted/c~2.jpg")).toBe(true);
    const verifyGone = await runArchive(["verify", "--complete", "-C", ws]);
    expect(verifyGone.code, verifyGone.stdout + verifyGone.stderr).toBe(0);
  }, 300_000);
});
