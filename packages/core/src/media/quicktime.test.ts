import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { realFixtures } from "../../../../test/support.js";
import { parseIso6709, parseMoov, readQuickTimeMeta } from "./quicktime.js";
import { statSync } from "node:fs";

const real = realFixtures();

describe("QuickTime parser", () => {
  it.each([
    ["+34.6648-086.4704+180.000/", { lat: 34.6648, lon: -86.4704 }],
    ["-33.8568+151.2153/", { lat: -33.8568, lon: 151.2153 }],
    ["+91.0000+000.0000/", null],
    ["garbage", null],
  ])("parseIso6709(%j)", (s, want) => {
    expect(parseIso6709(s)).toEqual(want);
  });

  it("a moov without a video track is not ours to describe", () => {
    const mvhd = Buffer.alloc(8 + 100);
    mvhd.writeUInt32BE(108, 0);
    mvhd.write("mvhd", 4, "latin1");
    mvhd.writeUInt32BE(600, 8 + 12); // timescale
    mvhd.writeUInt32BE(1200, 8 + 16); // duration
    expect(parseMoov(mvhd)).toBeNull();
    expect(parseMoov(Buffer.alloc(0))).toBeNull();
  });

  const file = (rel: string) => join(real!, rel);
  it.skipIf(!real).each([
    ["osxphotos/IMG_3582.mov", { codec: "hevc", bitDepth: 8, width: 1920, height: 1440, contentId: "602FEBB7-6B59-4799-96E6-9C8484D873C7", captureSource: "quicktime", capture: { local: "2025-05-26T09:27:06", offset: "-05:00" } }],
    ["exoplayer/dolbyVision-hdr.MOV", { codec: "hevc", bitDepth: 10, hdr: "HLG", rotation: 90, make: "Apple", model: "iPhone 14 Pro", gpsLat: 51.5334, gpsLon: -0.1255 }],
    ["lychee/train.mov", { codec: "h264", bitDepth: 8, rotation: 0, width: 1440, height: 1080, contentId: "E905E6C6-C747-4805-942F-9904A0281F02" }],
    ["metadata-extractor-images/with-gps.mov", { gpsLat: 32.0929, gpsLon: 34.862, model: "iPhone 6", width: 568, height: 320, rotation: 90 }],
    // (stored 568x320 with a 90 degree display matrix: the catalog shows 320x568 after rotation)
  ])("real %s", async (rel, want) => {
    const m = await readQuickTimeMeta(file(rel), statSync(file(rel)).size);
    expect(m).toMatchObject(want);
  });

  it.skipIf(!real)("a corrupt MOV gives up (null) rather than guessing", async () => {
    const rel = "exiv2/issue_ghsa_fgw8_p7pr_37cp_poc.mov";
    const m = await readQuickTimeMeta(file(rel), statSync(file(rel)).size).catch(() => null);
    expect(m).toBeNull();
  });
});
