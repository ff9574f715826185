import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { realFixtures } from "../../../../test/support.js";
import { tiffFromHeifExif } from "./exif.js";
import { heifStructure } from "./heif.js";
import { exifSegment, jpegWithSegments, readJpegMetadata } from "./jpeg.js";
import { addJpegRequiredTags, appleMakerNoteRationals, exifOrientation, patchExif, TiffBlock } from "./tiff.js";

const fx = realFixtures();
const FACTS = { width: 3024, height: 4032, iccNotSrgb: true };

/** The TIFF block of a HEIC's Exif item, found by the box parser. */
function heicTiff(rel: string): Buffer {
  const buf = readFileSync(join(fx!, rel));
  const ex = heifStructure(buf, buf.length).exif!;
  return tiffFromHeifExif(buf.subarray(ex.offset, ex.offset + ex.length))!;
}

/** A minimal JPEG (8x8 grey) to carry the segments, as exiftool must read it. */
const TINY_JPEG = Buffer.from(
  "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAAIAAgBAREA/8QAFQABAQAAAAAAAAAAAAAAAAAAAAf/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/9oACAEBAAA/AKp//9k=",
  "base64",
);

function exiftoolTags(file: string): Record<string, unknown> {
  return JSON.parse(execFileSync("exiftool", ["-j", "-n", "-G1", "-a", file], { encoding: "utf8" }))[0];
}

describe.skipIf(!fx)("EXIF carried as bytes", () => {
  it("patches Orientation and pixel size in place: same length, every other byte equal", () => {
    const src = heicTiff("osxphotos/IMG_4394.HEIC");
    expect(exifOrientation(src)).toBe(6);
    const { tiff, changed } = patchExif(src, { orientation: 1, width: 3024, height: 4032 });
    expect(changed).toEqual(["Orientation", "ExifImageWidth", "ExifImageHeight"]);
    expect(tiff.length).toBe(src.length);
    let diff = 0;
    for (let i = 0; i < src.length; i++) if (src[i] !== tiff[i]) diff++;
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThanOrEqual(6); // three SHORT/LONG values, a few bytes each
    expect(exifOrientation(tiff)).toBe(1);
    expect(exifOrientation(src)).toBe(6); // the source buffer is never written
  });

  it("adds the JPEG-required tags after the old bytes, which stay unchanged", () => {
    const src = heicTiff("osxphotos/IMG_4394.HEIC");
    const { tiff, added } = addJpegRequiredTags(src, FACTS);
    expect(added).toEqual(["YCbCrPositioning", "ComponentsConfiguration", "FlashpixVersion", "GPSVersionID"]);
    expect(tiff.subarray(8, src.length).equals(src.subarray(8))).toBe(true);
    expect(addJpegRequiredTags(tiff, FACTS).added).toEqual([]);
    const t = new TiffBlock(tiff);
    expect(t.ifd0()!.entries.map((e) => e.tag)).toEqual([...t.ifd0()!.entries.map((e) => e.tag)].sort((a, b) => a - b));
  });

  it("a block lacking resolution, version and size tags (Nokia, little-endian) gets them, values readable", () => {
    const src = heicTiff("exif-samples/HMD_Nokia_8.3_5G.heif");
    const { tiff, added } = addJpegRequiredTags(src, { width: 3456, height: 4608, iccNotSrgb: false });
    expect(added).toEqual(expect.arrayContaining(["XResolution", "ResolutionUnit", "ExifVersion", "ColorSpace", "ExifImageWidth"]));
    const t = new TiffBlock(tiff);
    expect(t.le).toBe(true);
    const exif = t.sub(t.ifd0(), 0x8769)!;
    expect(t.uint(exif.entries.find((e) => e.tag === 0xa002)!)).toBe(3456);
    expect(t.uint(exif.entries.find((e) => e.tag === 0xa001)!)).toBe(1);
    const xres = t.ifd0()!.entries.find((e) => e.tag === 0x011a)!;
    expect([t.u32(xres.valueAt), t.u32(xres.valueAt + 4)]).toEqual([72, 1]);
  });

  it("reads Apple's HDR headroom rationals (maker note tags 0x21, 0x30) like exiftool", () => {
    const r = appleMakerNoteRationals(heicTiff("exif-samples/iphone_13_pro_max.HEIC"), [0x21, 0x30]);
    expect(r.get(0x21)).toBeCloseTo(0.8432090282, 9);
    expect(r.get(0x30)).toBeCloseTo(0.008020164442, 9);
  });

  it("exiftool reads every source tag back from the JPEG, maker note included, and -validate is clean", () => {
    const dir = mkdtempSync(join(tmpdir(), "tiff-test-"));
    const src = heicTiff("osxphotos/IMG_3582.HEIC");
    const { tiff } = addJpegRequiredTags(patchExif(src, { orientation: 1, width: 8, height: 8 }).tiff, { ...FACTS, width: 8, height: 8 });
    const out = join(dir, "out.jpg");
    writeFileSync(out, jpegWithSegments(TINY_JPEG, [exifSegment(tiff)]));
    expect(readJpegMetadata(readFileSync(out)).exif!.equals(tiff)).toBe(true);
    const a = exiftoolTags(join(fx!, "osxphotos/IMG_3582.HEIC"));
    const b = exiftoolTags(out);
    const skip = new Set(["IFD0:Orientation", "ExifIFD:ExifImageWidth", "ExifIFD:ExifImageHeight"]);
    for (const [k, v] of Object.entries(a)) {
      if (!/^(IFD0|ExifIFD|GPS|InteropIFD|Apple):/.test(k) || skip.has(k)) continue;
      expect(b[k], k).toEqual(v);
    }
    // the source's own findings (an unknown CustomRendered value) come along; nothing new
    const warnings = (f: string) =>
      execFileSync("exiftool", ["-validate", "-warning", "-a", "-s3", f], { encoding: "utf8" }).trim().split("\n").slice(1);
    const before = new Set(warnings(join(fx!, "osxphotos/IMG_3582.HEIC")));
    expect(warnings(out).filter((w) => !before.has(w))).toEqual([]);
  });
});
