import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { noEvents } from "@archive/core";
import { repoRoot, tempDir } from "../../../test/support.js";
import { checkDecode, sniff } from "./decode.js";
import { videoTools } from "./verify.js";

/** An ISO-BMFF file head: an `ftyp` box with `major` and the compatible brands. */
function ftyp(major: string, ...compatible: string[]): Buffer {
  const brands = [major, "\0\0\0\0", ...compatible].join("");
  const box = Buffer.alloc(8 + brands.length);
  box.writeUInt32BE(box.length, 0);
  box.write("ftyp", 4, "latin1");
  box.write(brands, 8, "latin1");
  return Buffer.concat([box, Buffer.alloc(64)]);
}

describe("decode picks the decoder by magic bytes (core's one sniffer)", () => {
  it.each([
    ["an iPhone HEIC", ftyp("heic", "mif1", "heic"), "heif"],
    ["a HEVC image sequence (hevm), which verify's own sniffer took for a video", ftyp("hevm", "msf1", "hevm"), "heif"],
    ["a HEVC sequence (hevs)", ftyp("hevs", "msf1", "hevs"), "heif"],
    ["a QuickTime movie", ftyp("qt  ", "qt  "), "video"],
    ["an MP4", ftyp("isom", "isom", "avc1"), "video"],
    ["a JPEG named anything", Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46]), "image"],
    ["text", Buffer.from("hello, world\n"), "other"],
  ])("%s", async (_, bytes, kind) => {
    const f = join(await tempDir("sniff-"), "x.bin");
    await writeFile(f, bytes);
    expect(await sniff(f)).toBe(kind);
  });
});

describe("decode without ffmpeg (QA: verify could not run at all)", () => {
  const sample = join(repoRoot(), "sample/library");
  it("images still decode; each video is named as not checked, never passed", async () => {
    const files = ["IMG_0303.JPG", "IMG_0304.MOV"].map((rel) => ({ rel, abs: join(sample, rel) }));
    const c = await checkDecode({ files, video: { missing: "ffmpeg not found" }, quick: false, concurrency: 2, onEvent: noEvents });
    expect(c).toMatchObject({ checked: 1, passed: 1, failed: 0 });
    expect(c.unchecked).toEqual([{ path: "IMG_0304.MOV", reason: "video not checked: ffmpeg not found" }]);
    expect(c.notes.join(" ")).toMatch(/1 videos NOT checked \(ffmpeg not found\)/);
  });

  it("an --ffmpeg/--ffprobe path that does not exist counts as missing (not a decode failure)", () => {
    expect(videoTools({ ffmpeg: "/nonexistent/ffmpeg", ffprobe: "/nonexistent/ffprobe" })).toEqual({ missing: "ffmpeg and ffprobe not found" });
  });
});
