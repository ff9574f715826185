import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { realFixtures } from "../../../../test/support.js";
import { appleHeadroom, decodeIsoGainMap, encodeIsoGainMap, headHasGainMap, isoFromAppleHeadroom } from "./gainmap.js";
import { findMetaBox, parseMetaBoxes } from "./heif.js";
import { tiffFromHeifExif } from "./exif.js";

const fx = realFixtures();

/** The bytes of the first item of `type` in a HEIF (a single extent, as iPhones write). */
function item(rel: string, type: string): Buffer {
  const buf = readFileSync(join(fx!, rel));
  const meta = findMetaBox(buf, buf.length);
  if ("problem" in meta) throw new Error(meta.problem);
  const m = parseMetaBoxes(buf, meta);
  const id = [...m.types].find(([, t]) => t === type)![0];
  const [e] = m.extents.get(id)!;
  return buf.subarray(e!.offset, e!.offset + e!.length);
}

describe.skipIf(!fx)("gain-map metadata", () => {
  it("an iOS 15 file's headroom comes from its maker note (libultrahdr's formula)", () => {
    const exif = tiffFromHeifExif(item("exif-samples/iphone_13_pro_max.HEIC", "Exif"))!;
    // HDRHeadroom 0.843 < 1 and HDRGain 0.00802 <= 0.01: stops = 1.8 - 20 * 0.00802
    expect(appleHeadroom(exif, null)).toBeCloseTo(2 ** (1.8 - 20 * 0.008020164442), 6);
    const info = decodeIsoGainMap(isoFromAppleHeadroom(3.116));
    expect(info.gainMapMax[0]).toBeCloseTo(Math.log2(3.116), 6);
    expect(info.gamma[0]).toBe(1);
  });

  it("a headroom in the gain map's XMP wins; no Apple maker note and no XMP: none", () => {
    const xmp = Buffer.from("<HDRGainMap:HDRGainMapHeadroom>3.362963</HDRGainMap:HDRGainMapHeadroom>");
    expect(appleHeadroom(tiffFromHeifExif(item("exif-samples/iphone_13_pro_max.HEIC", "Exif"))!, xmp)).toBe(3.362963);
    expect(appleHeadroom(tiffFromHeifExif(item("exif-samples/HMD_Nokia_8.3_5G.heif", "Exif"))!, null)).toBeNull();
  });

  it("encode and decode agree", () => {
    const m = { baseHdrHeadroom: 0, alternateHdrHeadroom: 1.5, gainMapMin: [-0.25], gainMapMax: [1.5], gamma: [1], baseOffset: [0.015625], alternateOffset: [0.015625], useBaseColorSpace: true, backwardDirection: false };
    expect(decodeIsoGainMap(encodeIsoGainMap(m))).toEqual(m);
  });
});

describe.skipIf(!fx)("headHasGainMap", () => {
  it("finds Apple's aux map and the tmap item in a HEIF head; none in an SDR HEIC or a plain JPEG", () => {
    const head = (rel: string) => {
      const b = readFileSync(join(fx!, rel));
      return headHasGainMap(b.subarray(0, 256 * 1024), b.length);
    };
    expect(head("osxphotos/IMG_4394.HEIC")).toBe(true);
    expect(head("exif-samples/iphone_13_pro_max.HEIC")).toBe(true);
    expect(head("osxphotos/IMG_1853.HEIC")).toBe(false);
    expect(head("lychee/train.jpg")).toBe(false);
  });
});
