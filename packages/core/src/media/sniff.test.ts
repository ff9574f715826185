import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { realFixtures } from "../../../../test/support.js";
import { SNIFF_BYTES, extensionFor, extensionMismatch, identify } from "./sniff.js";

/** An ISO-BMFF `ftyp` box with a major brand and compatible brands. */
function ftyp(major: string, compat: string[]): Buffer {
  const size = 16 + 4 * compat.length;
  const b = Buffer.alloc(size);
  b.writeUInt32BE(size, 0);
  b.write("ftyp", 4, "latin1");
  b.write(major, 8, "latin1");
  compat.forEach((c, i) => b.write(c, 16 + 4 * i, "latin1"));
  return b;
}

describe("identify", () => {
  it.each([
    ["hevm", ["mif1", "hevm"], "heic"],
    ["hevs", ["msf1", "hevs"], "heic"],
    ["msf1", ["msf1", "hevs"], "heic"],
    ["mif1", ["mif1", "miaf"], "heif"],
    ["avis", ["avis", "msf1"], "avif"],
    ["qt  ", ["qt  "], "mov"],
    ["XAVC", ["XAVC", "mp42"], "mp4"],
  ])("ftyp %j %j is %s (multi-image and sequence HEVC brands are HEIC, not video)", (major, compat, format) => {
    const buf = ftyp(major, compat);
    expect(identify(buf, buf.length + 1000).format).toBe(format);
  });

  it("never trusts the extension", () => {
    const png = Buffer.alloc(24);
    Buffer.from("\x89PNG\r\n\x1a\n", "latin1").copy(png);
    png.writeUInt32BE(3, 16);
    png.writeUInt32BE(2, 20);
    expect(identify(png, 100, "photo.jpg")).toMatchObject({ format: "png", width: 3, height: 2 });
    expect(identify(Buffer.from("a,b\n"), 4, "x.jpg").format).toBe("unknown");
    expect(identify(Buffer.alloc(0), 0, "x.jpg")).toMatchObject({ format: "empty", problem: expect.stringMatching(/empty/) });
  });

  const real = realFixtures();
  it.skipIf(!real).each([
    ["osxphotos/IMG_3582.HEIC", { format: "heic", width: 5712, height: 4284, irot: 270, primaryType: "grid", tiles: 45, hasGainMap: true }],
    ["osxphotos/IMG_4394.HEIC", { format: "heic", width: 4032, height: 3024, tiles: 48, hasGainMap: true }],
    ["exif-samples/HMD_Nokia_8.3_5G.heif", { format: "heic", width: 4608, height: 3456, irot: 270 }],
    ["lychee/mongolia", { format: "jpeg", width: 1280, height: 850 }],
    ["osxphotos/IMG_3582.mov", { format: "mov" }],
    ["exiv2/IMG_1361.dng", { format: "dng" }],
    ["osxphotos/wedding.AAE", { format: "aae" }],
  ])("real %s", (rel, want) => {
    const buf = readFileSync(join(real!, rel));
    const p = identify(buf.subarray(0, SNIFF_BYTES), buf.length, rel);
    expect(p).toMatchObject(want);
    expect(p.problem).toBeUndefined();
  });

  it.skipIf(!real)("the HEIC's Exif item is located inside the file", () => {
    const buf = readFileSync(join(real!, "osxphotos/IMG_3582.HEIC"));
    const { exif } = identify(buf.subarray(0, SNIFF_BYTES), buf.length);
    expect(exif!.offset + exif!.length).toBeLessThanOrEqual(buf.length);
    // the item starts with the 4-byte TIFF header offset, then "Exif\0\0" and a TIFF header
    const item = buf.subarray(exif!.offset, exif!.offset + exif!.length);
    expect(item.toString("latin1", 4, 8)).toBe("Exif");
  });

  it.skipIf(!real)("a truncated real HEIC says so, and so does its head cut to 1 KiB", () => {
    const buf = readFileSync(join(real!, "pillow_heif/truncated.heic"));
    expect(identify(buf, buf.length).problem).toMatch(/truncated/);
    const full = readFileSync(join(real!, "osxphotos/IMG_0102.HEIC"));
    expect(identify(full.subarray(0, 1024), 1024).problem).toMatch(/truncated|meta/);
  });
});

describe("extensionMismatch", () => {
  it.each([
    ["photo.jpg", "png", "jpg"],
    ["IMG_1.HEIC", "jpeg", "heic"],
    ["clip.mov", "jpeg", "mov"],
    ["IMG_1.heif", "heic", null],
    ["IMG_1.JPG", "jpeg", null],
    ["clip.MP4", "mov", null],
    ["mongolia", "jpeg", null],
    ["notes.txt", "unknown", null],
    [".hidden", "png", null],
  ] as const)("%s with %s content -> %j", (name, format, want) => {
    expect(extensionMismatch(name, format)).toBe(want);
  });
  it("names the extension a format's output should carry", () => {
    expect(extensionFor("png")).toBe("png");
    expect(extensionFor("jpeg")).toBe("jpg");
    expect(extensionFor("unknown")).toBeNull();
  });
});
