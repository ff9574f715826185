import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { realFixtures } from "../../../../test/support.js";
import { tiffFromHeifExif } from "./exif.js";
import { appleHeadroom, decodeIsoGainMap, isoFromTmap } from "./gainmap.js";
import { extractGainMap, extractMetadata } from "./heif-aux.js";
import { withHeif } from "./heif-decode.js";

const fx = realFixtures();
const open = <T>(rel: string, fn: Parameters<typeof withHeif<T>>[1]) => withHeif(readFileSync(join(fx!, rel)), fn);

describe.skipIf(!fx)("HEIF extractors: metadata blocks and the HDR gain map", () => {
  it("hands out the Exif item and the XMP packet as stored", () => {
    const m = open("osxphotos/IMG_3582.HEIC", extractMetadata);
    expect(tiffFromHeifExif(Buffer.from(m.exif!))!.toString("latin1", 0, 4)).toBe("MM\0*");
    expect(Buffer.from(m.xmp!).toString("utf8")).toContain("<x:xmpmeta");
    expect(open("exif-samples/HMD_Nokia_8.3_5G.heif", extractMetadata).xmp).toBeNull();
  });

  it("decodes Apple's gain map in the primary's orientation; an iOS 18 tmap matches its XMP headroom", () => {
    const gm = open("osxphotos/IMG_4394.HEIC", extractGainMap)!;
    // 4032x3024 stored with irot 270: the primary decodes 3024x4032, its half-size map 1512x2016
    expect([gm.width, gm.height, gm.data.length]).toEqual([1512, 2016, 1512 * 2016]);
    const info = decodeIsoGainMap(isoFromTmap(Buffer.from(gm.tmap!)));
    // two independent records of one photo: the tmap's log2 headroom, Apple's linear one
    expect(2 ** info.alternateHdrHeadroom).toBeCloseTo(appleHeadroom(null, Buffer.from(gm.xmp!))!, 4);
    expect(info.gainMapMin[0]).toBeLessThan(0);
  });

  it("an iOS 15 gain map has no tmap; an SDR file has no gain map", () => {
    const gm = open("exif-samples/iphone_13_pro_max.HEIC", extractGainMap)!;
    expect(gm.tmap).toBeNull();
    expect(gm.width * gm.height).toBeGreaterThan(0);
    expect(open("osxphotos/IMG_1853.HEIC", extractGainMap)).toBeNull();
  });
});
