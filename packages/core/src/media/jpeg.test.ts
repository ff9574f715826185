import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeIsoGainMap } from "./gainmap.js";
import { iccSegments, jpegHeadHasIsoGainMap, jpegSegments, jpegWithSegments, jpegWithXmp, readJpegMetadata, secondaryImage, ultraHdrJpeg, xmpSegment } from "./jpeg.js";

/** A real 8x8 grey baseline JPEG (JFIF), as an encoder writes one. */
const TINY = Buffer.from(
  "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAAIAAgBAREA/8QAFQABAQAAAAAAAAAAAAAAAAAAAAf/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/9oACAEBAAA/AKp//9k=",
  "base64",
);
const ISO = encodeIsoGainMap({ baseHdrHeadroom: 0, alternateHdrHeadroom: 1.5, gainMapMin: [0], gainMapMax: [1.5], gamma: [1], baseOffset: [0], alternateOffset: [0], useBaseColorSpace: true, backwardDirection: false });

describe("JPEG segments", () => {
  it("carries XMP and a chunked ICC profile byte for byte, JFIF first", () => {
    const xmp = Buffer.from('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>');
    const icc = Buffer.alloc(150_000, 7); // three APP2 chunks
    const out = jpegWithSegments(TINY, [xmpSegment(xmp), ...iccSegments(icc)]);
    expect(jpegSegments(out)[0]!.marker).toBe(0xe0);
    const m = readJpegMetadata(out);
    expect(m.xmp!.equals(xmp)).toBe(true);
    expect(m.icc!.equals(icc)).toBe(true);
    expect(out.subarray(out.length - 20).equals(TINY.subarray(TINY.length - 20))).toBe(true);
  });

  it("an ISO 21496-1 file: MPF points at the gain-map image, which carries the metadata", () => {
    const out = ultraHdrJpeg(TINY, [], TINY, ISO);
    const m = readJpegMetadata(out);
    expect(m.mpf && m.isoGainMap).toBe(true);
    const gm = secondaryImage(out)!;
    expect(gm.subarray(gm.length - 20).equals(TINY.subarray(TINY.length - 20))).toBe(true);
    const iso = jpegSegments(gm).find((s) => s.marker === 0xe2)!;
    expect(iso.data.subarray(28).equals(ISO)).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "jpeg-test-"));
    writeFileSync(join(dir, "hdr.jpg"), out);
    const t = JSON.parse(execFileSync("exiftool", ["-j", "-n", "-G1", "-MPF:all", join(dir, "hdr.jpg")], { encoding: "utf8" }))[0];
    expect(t["MPImage2:MPImageStart"] + t["MPImage2:MPImageLength"]).toBe(out.length);
    expect(t["MPImage1:MPImageLength"]).toBe(out.length - gm.length);
  });
});

describe("jpegHeadHasIsoGainMap", () => {
  it("sees the ISO marker in a head cut anywhere after it, and not in a plain JPEG", () => {
    const out = ultraHdrJpeg(TINY, [xmpSegment(Buffer.alloc(30_000, 32))], TINY, ISO);
    expect(jpegHeadHasIsoGainMap(out.subarray(0, 40_000))).toBe(true);
    expect(jpegHeadHasIsoGainMap(TINY)).toBe(false);
    expect(jpegHeadHasIsoGainMap(out.subarray(0, 1_000))).toBe(false);
  });

  it("replaces, inserts and removes the XMP packet; the MPF index still finds the gain map", () => {
    const exif = Buffer.concat([Buffer.from([0xff, 0xe1, 0, 16]), Buffer.from("Exif\0\0MM\0*\0\0\0\b", "latin1")]);
    const small = Buffer.from('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>');
    const big = Buffer.from(`<x:xmpmeta xmlns:x="adobe:ns:meta/">${" ".repeat(5000)}</x:xmpmeta>`);
    const hdr = ultraHdrJpeg(TINY, [exif, xmpSegment(small)], TINY, ISO);
    const gm = secondaryImage(hdr)!;
    const dir = mkdtempSync(join(tmpdir(), "jpeg-xmp-"));
    for (const [name, packet] of [["bigger", big], ["removed", null], ["same", small]] as const) {
      const out = jpegWithXmp(hdr, packet);
      expect(readJpegMetadata(out).xmp?.equals(packet!) ?? packet).toBe(packet ? true : null);
      expect(secondaryImage(out)!.equals(gm), name).toBe(true);
      expect(out.subarray(out.length - gm.length).equals(gm)).toBe(true);
      writeFileSync(join(dir, `${name}.jpg`), out);
      const t = JSON.parse(execFileSync("exiftool", ["-j", "-n", "-G1", "-MPF:all", join(dir, `${name}.jpg`)], { encoding: "utf8" }))[0];
      expect(t["MPImage1:MPImageLength"], name).toBe(out.length - gm.length);
      expect(t["MPImage2:MPImageStart"] + t["MPImage2:MPImageLength"], name).toBe(out.length);
    }
    // a JPEG without XMP gets it after its Exif segment
    const plain = jpegWithSegments(TINY, [exif]);
    const added = jpegWithXmp(plain, small);
    expect(jpegSegments(added).map((x) => x.marker)).toEqual([0xe0, 0xe1, 0xe1, ...jpegSegments(plain).slice(2).map((x) => x.marker)]);
    expect(readJpegMetadata(added).xmp!.equals(small)).toBe(true);
  });
});

