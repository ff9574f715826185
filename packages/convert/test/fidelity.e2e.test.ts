// End-to-end (issue 13): `archive plan` + `archive convert` (the built CLI) keep a HEIC's HDR gain
// map as an ISO 21496-1 gain map, carry its EXIF as bytes, record where the gain-map metadata came
// from, and `--no-hdr` writes the same photos without one. exiftool is not needed by the photo path.
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { readJpegMetadata, TiffBlock } from "@archive/core";
import type { ConvertResult } from "@archive/convert";
import { archiveJson, journal, realFixtures, runArchive, tempDir, type JobRow } from "./helpers.js";

const real = realFixtures();
/** [fixture, name in the library, gain-map metadata expected in params.gainMap] */
const FILES: [string, string, "tmap" | "apple" | null][] = [
  ["osxphotos/IMG_4394.HEIC", "IMG_4394.HEIC", "tmap"],
  ["exif-samples/iphone_13_pro_max.HEIC", "IMG_13PM.HEIC", "apple"],
  ["osxphotos/IMG_1853.HEIC", "IMG_1853.HEIC", null],
];

async function convertInto(lib: string, extra: string[]): Promise<{ ws: string; jobs: Map<string, JobRow>; result: ConvertResult }> {
  const ws = join(await tempDir("archive-fidelity-ws-"), "ws");
  const plan = await runArchive(["plan", lib, "-C", ws, "-q"]);
  expect(plan.code, plan.stderr).toBe(0);
  const r = await archiveJson<ConvertResult>(ws, ["convert", ...extra]);
  expect(r.json.failed, r.stderr).toEqual([]);
  return { ws, jobs: journal(ws), result: r.json };
}

describe.skipIf(!real)("archive convert keeps HDR and carries EXIF", () => {
  let hdr: Awaited<ReturnType<typeof convertInto>>;
  let sdr: Awaited<ReturnType<typeof convertInto>>;
  beforeAll(async () => {
    const lib = join(await tempDir("archive-fidelity-lib-"), "lib");
    await mkdir(lib);
    for (const [rel, name] of FILES) await copyFile(join(real!, rel), join(lib, name));
    [hdr, sdr] = [await convertInto(lib, []), await convertInto(lib, ["--no-hdr"])];
  }, 600_000);

  it.each(FILES)("%s: gain map as the source has one, read back with sharp; params.gainMap says whence", async (_rel, name, whence) => {
    const job = hdr.jobs.get(name)!;
    expect(job).toMatchObject({ action: "convert", status: "done" });
    expect(JSON.parse(job.params!).gainMap).toBe(whence);
    const file = join(hdr.ws, job.output_rel!);
    const meta = await sharp(file).metadata();
    expect(meta.gainMap !== undefined).toBe(whence !== null);
    expect(readJpegMetadata(await readFile(file)).isoGainMap).toBe(whence !== null);
  });

  it.each(FILES)("%s with --no-hdr: no gain map, the same base pixels", async (_rel, name) => {
    const job = sdr.jobs.get(name)!;
    expect(JSON.parse(job.params!).gainMap).toBe("off");
    const a = join(sdr.ws, job.output_rel!);
    const b = join(hdr.ws, hdr.jobs.get(name)!.output_rel!);
    expect((await sharp(a).metadata()).gainMap).toBeUndefined();
    const [pa, pb] = await Promise.all([sharp(a).raw().toBuffer(), sharp(b).raw().toBuffer()]);
    expect(pa.equals(pb)).toBe(true);
  });

  it("archive verify: metadata parity passes both (a --no-hdr output lacks its gain map by choice)", async () => {
    for (const w of [hdr, sdr]) {
      const r = await archiveJson<{ checks: { name: string; checked: number; failed: number; failures: unknown[] }[] }>(w.ws, ["verify"]);
      const meta = r.json.checks.find((c) => c.name === "metadata")!;
      expect(meta.checked, r.stderr).toBe(FILES.length);
      expect(meta.failures).toEqual([]);
    }
  }, 300_000);

  it("the EXIF block is the source's: Orientation 1, the JPEG's size, the Live Photo id in the maker note", async () => {
    const out = await readFile(join(hdr.ws, hdr.jobs.get("IMG_4394.HEIC")!.output_rel!));
    const t = new TiffBlock(readJpegMetadata(out).exif!);
    const ifd0 = t.ifd0()!;
    expect(t.uint(ifd0.entries.find((e) => e.tag === 0x0112)!)).toBe(1);
    const exif = t.sub(ifd0, 0x8769)!;
    expect([0xa002, 0xa003].map((tag) => t.uint(exif.entries.find((e) => e.tag === tag)!))).toEqual([3024, 4032]);
    expect(t.buf.includes(Buffer.from("ED2A2552-C906-486E-9DA5-17DABDF672A7"))).toBe(true);
    expect(t.buf.includes(Buffer.from("Apple iOS\0"))).toBe(true);
  });
});
