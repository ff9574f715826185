// Fidelity of the photo path on every decodable HEIC/HEIF fixture: EXIF and maker notes carried
// byte for byte (exiftool reads the same values), XMP unchanged, exiftool -validate finds nothing
// new, HDR gain maps kept as ISO 21496-1 exactly where the source has one.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractMetadata, HeifDecoder, readJpegMetadata, withHeif } from "@archive/core";
import { realFixtures } from "../../../test/support.js";
import { convertHeif, type PhotoOutcome } from "./photo.js";

const execFileP = promisify(execFile);
const fx = realFixtures();

/** [fixture, has an HDR gain map (SOURCES.md: aux hdrgainmap)] */
const HEICS: [string, boolean][] = [
  ["exif-samples/HMD_Nokia_8.3_5G.heif", false],
  ["exif-samples/iphone_13_pro_max.HEIC", true],
  ["exifr/heic-iphone7.heic", false],
  ["exiv2/2021-02-13-1929.heic", false],
  ["immich/IMG_2682.heic", false],
  ["lychee/classic-car.heic", true],
  ["metadata-extractor-images/IMG_1034.heic", false],
  ["metadata-extractor-images/IMG_2927.HEIC", false],
  ["metadata-extractor-images/Issue 437 (dotnet).heic", false],
  ["osxphotos/IMG_0102.HEIC", false],
  ["osxphotos/IMG_1853.HEIC", false],
  ["osxphotos/IMG_3582.HEIC", true],
  ["osxphotos/IMG_4394.HEIC", true],
  ["osxphotos/IMG_E1853.heic", false],
  ["pillow_heif/empty_icc.heic", false],
  ["pillow_heif/spatial_photo.heic", false],
];

/** What the conversion may change: the patched tags and the tags a JPEG's Exif requires. */
const PATCHED = new Set(["IFD0:Orientation", "ExifIFD:ExifImageWidth", "ExifIFD:ExifImageHeight", "IFD0:ImageWidth", "IFD0:ImageHeight"]);
const JPEG_REQUIRED = new Set([
  "IFD0:XResolution", "IFD0:YResolution", "IFD0:ResolutionUnit", "IFD0:YCbCrPositioning", "ExifIFD:ExifVersion",
  "ExifIFD:ComponentsConfiguration", "ExifIFD:FlashpixVersion", "ExifIFD:ColorSpace", "GPS:GPSVersionID",
]);
/** Groups that describe the container or the file, not the photo's EXIF. */
const NOT_EXIF = /^(File|System|ExifTool|Composite|QuickTime|Meta|ICC.*|XMP-.*|JFIF|APP2|MPF0|MPImage\d+)$/;
/**
 * -validate findings about bytes carried unchanged that exiftool checks only in a JPEG: tags newer
 * than the block's ExifVersion (Samsung's OffsetTime in Exif 2.2, older iPhones' LensInfo in
 * 2.21), a Nokia GPSProcessingMethod stored as a string.
 */
const CARRIED_FINDINGS = [/^ExifIFD tag 0x[0-9a-f]{4} \w+ requires ExifVersion \d{4} or higher$/, /^Invalid value for GPS tag 0x001b GPSProcessingMethod/];

type Tags = Record<string, unknown>;
const dir = mkdtempSync(join(tmpdir(), "photo-test-"));
const outOf = (rel: string) => join(dir, `${rel.replace(/\W/g, "_")}.jpg`);
const results = new Map<string, PhotoOutcome>();

async function exiftool(args: string[]): Promise<Tags[]> {
  const { stdout } = await execFileP("exiftool", ["-j", ...args], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as Tags[];
}

describe.skipIf(!fx)("HEIC -> JPEG without loss", () => {
  beforeAll(async () => {
    const decoder = new HeifDecoder();
    try {
      await Promise.all(HEICS.map(async ([rel]) => results.set(rel, await convertHeif(decoder, join(fx!, rel), outOf(rel), { quality: 90 }))));
    } finally {
      await decoder.close();
    }
  }, 600_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(HEICS)("%s: every EXIF and maker-note tag reads the same (exiftool -n -G1 -a)", async (rel) => {
    const [s, o] = await exiftool(["-n", "-G1", "-a", join(fx!, rel), outOf(rel)]);
    const checked = Object.keys(s!).filter((k) => k.includes(":") && !NOT_EXIF.test(k.split(":")[0]!) && !PATCHED.has(k));
    expect(checked.length).toBeGreaterThan(10);
    for (const k of checked) expect(o![k], k).toEqual(s![k]);
    // nothing appears that the source did not have, except what JPEG requires
    const extra = Object.keys(o!).filter((k) => k.includes(":") && !NOT_EXIF.test(k.split(":")[0]!) && !(k in s!) && !PATCHED.has(k) && !JPEG_REQUIRED.has(k));
    expect(extra).toEqual([]);
  });

  it.each(HEICS)("%s: the XMP packet is carried byte for byte", (rel) => {
    const src = withHeif(readFileSync(join(fx!, rel)), extractMetadata).xmp;
    const out = readJpegMetadata(readFileSync(outOf(rel))).xmp;
    expect(out ? Buffer.from(out).equals(Buffer.from(src!)) : src).toBe(out ? true : null);
  });

  it.each(HEICS)("%s: exiftool -validate finds nothing new (minor notes aside)", async (rel) => {
    const [s, o] = await exiftool(["-validate", "-warning", "-a", join(fx!, rel), outOf(rel)]);
    const list = (t: Tags) => [t.Warning ?? []].flat().map(String);
    const before = new Set(list(s!));
    const added = list(o!).filter((w) => !before.has(w) && !w.startsWith("[minor]") && !CARRIED_FINDINGS.some((re) => re.test(w)));
    expect(added).toEqual([]);
  });

  it.each(HEICS)("%s: HDR gain map %s, read back with sharp", async (rel, hdr) => {
    const meta = await sharp(outOf(rel)).metadata();
    expect(meta.gainMap !== undefined, "gain map present").toBe(hdr);
    expect(results.get(rel)!.gainMap !== null).toBe(hdr);
    if (hdr) expect((await sharp(meta.gainMap!.image).metadata()).format).toBe("jpeg");
  });

  it("Live Photo id, Display P3 and rotation: the iOS 18 still keeps its MediaGroupUUID, P3 profile and turns upright", async () => {
    const [s, o] = await exiftool(["-G1", "-a", join(fx!, "osxphotos/IMG_4394.HEIC"), outOf("osxphotos/IMG_4394.HEIC")]);
    // exiftool 12.x calls maker-note tag 0x11 MediaGroupUUID, 13.x ContentIdentifier
    const id = (t: Tags) => t["Apple:ContentIdentifier"] ?? t["Apple:MediaGroupUUID"];
    expect(id(o!)).toBe("ED2A2552-C906-486E-9DA5-17DABDF672A7");
    expect(id(o!)).toBe(id(s!));
    expect(o!["ICC_Profile:ProfileDescription"]).toBe("Display P3");
    expect(o!["IFD0:Orientation"]).toBe("Horizontal (normal)");
    expect([o!["File:ImageWidth"], o!["File:ImageHeight"]]).toEqual([3024, 4032]);
  });

  it("--no-hdr (hdr: false) writes the same base image without a gain map", async () => {
    const rel = "osxphotos/IMG_4394.HEIC";
    const sdr = join(dir, "sdr.jpg");
    const decoder = new HeifDecoder(1);
    try {
      expect((await convertHeif(decoder, join(fx!, rel), sdr, { quality: 90, hdr: false })).gainMap).toBe("off");
    } finally {
      await decoder.close();
    }
    expect((await sharp(sdr).metadata()).gainMap).toBeUndefined();
    const [a, b] = await Promise.all([sharp(sdr).raw().toBuffer(), sharp(outOf(rel)).raw().toBuffer()]);
    expect(a.equals(b)).toBe(true);
  }, 120_000);
});
