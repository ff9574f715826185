import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCaptureTime } from "../time.js";
import { realFixtures } from "../../../../test/support.js";
import { captureFromName, cleanDate, metaFromExifr, metaFromExiftool, readImageMeta, tiffFromHeifExif } from "./exif.js";

const real = realFixtures();

describe("cleanDate (the one date cleaner)", () => {
  it.each([
    ["2024-04-22T14:38:09GMT+2", "2024-04-22T14:38:09+02:00"],
    ["2024:04:22 14:38:09.526GMT+02:00", "2024:04:22 14:38:09.526+02:00"],
    ["2024:04:22 14:38:09 UTC+0530", "2024:04:22 14:38:09+05:30"],
    ["2024:04:22 14:38:09-0730", "2024:04:22 14:38:09-0730"],
    ["2024:04:22 14:38:09", "2024:04:22 14:38:09"],
  ])("cleanDate(%j) = %j", (raw, want) => {
    expect(cleanDate(raw)).toBe(want);
  });

  // The rule the two old cleaners disagreed on: scan read a bare "UTC" as offset zero, verify
  // left it in the string, which the date parser then ignored, so the same file had a known
  // instant in the catalog and an unknown one in verify. "UTC" names the zone: offset +00:00.
  it.each([["2024:04:22 14:38:09 UTC"], ["2024:04:22 14:38:09UTC"], ["2024:04:22 14:38:09 GMT"], ["2024:04:22 14:38:09 utc"]])(
    "a bare zone name %j means offset +00:00",
    (raw) => {
      const c = parseCaptureTime(cleanDate(raw));
      expect(c).toMatchObject({ local: "2024-04-22T14:38:09", offset: "+00:00", utcMs: Date.UTC(2024, 3, 22, 14, 38, 9) });
    },
  );

  it("unwraps exiftool's { rawValue } and ignores empty values", () => {
    expect(cleanDate({ rawValue: "2020:01:02 03:04:05 UTC" })).toBe("2020:01:02 03:04:05Z");
    expect(cleanDate("  \0")).toBeUndefined();
    expect(cleanDate(undefined)).toBeUndefined();
  });
});

describe("metaFromExiftool / metaFromExifr (one mapping)", () => {
  it("video: Apple's CreationDate (local + offset) beats the UTC CreateDate; a UTC-only clip is shown in UTC", () => {
    const m = metaFromExiftool({ MIMEType: "video/quicktime", CreationDate: "2023:12:31 23:30:00-05:00", CreateDate: "2024:01:01 04:30:00" });
    expect(m).toMatchObject({ captureSource: "quicktime", capture: { local: "2023-12-31T23:30:00", offset: "-05:00", year: 2023 } });
    expect(metaFromExiftool({ MIMEType: "video/mp4", CreateDate: "2024:01:01 04:30:00" }).capture).toMatchObject({ local: "2024-01-01T04:30:00", offset: null });
  });

  it("photo: DateTimeOriginal with its offset, XMP when alone, ModifyDate only as `modified`", () => {
    expect(metaFromExiftool({ MIMEType: "image/jpeg", DateTimeOriginal: "2021:01:01 10:00:00", OffsetTimeOriginal: "+02:00", SubSecTimeOriginal: "5" }))
      .toMatchObject({ captureSource: "exif", capture: { local: "2021-01-01T10:00:00.500", offset: "+02:00" } });
    expect(metaFromExiftool({ MIMEType: "image/heic", DateCreated: "2015:09:27 16:29:28" })).toMatchObject({ captureSource: "xmp" });
    const m = metaFromExiftool({ MIMEType: "image/heic", ModifyDate: "2022:02:03 14:44:07", SubSecTime: "722" });
    expect(m.capture).toBeUndefined();
    expect(m.modified).toMatchObject({ local: "2022-02-03T14:44:07.722" });
  });

  it("both readers agree on the same tags, and on a bare UTC date", () => {
    const tags = { DateTimeOriginal: "2024:04:22 14:38:09 UTC", Make: "Apple", Model: "iPhone 12", Orientation: 6, ExifImageWidth: 640, ExifImageHeight: 480 };
    const a = metaFromExifr(tags);
    const b = metaFromExiftool({ ...tags, MIMEType: "image/jpeg" });
    expect(a).toMatchObject({ capture: { offset: "+00:00" }, make: "Apple", model: "iPhone 12", orientation: 6, width: 640, height: 480 });
    expect(b.capture).toEqual(a.capture);
  });

  it("video codec, bit depth, HDR and rotation", () => {
    expect(metaFromExiftool({ MIMEType: "video/quicktime", CompressorID: "hvc1", BitDepth: 30, TransferCharacteristics: "ARIB STD-B67 (HLG)", Rotation: -90, Duration: 2.5 }))
      .toMatchObject({ codec: "hevc", bitDepth: 10, hdr: "ARIB STD-B67 (HLG)", rotation: 270, duration: 2.5 });
  });

  it.each([
    ["IMG_20190405_123456.jpg", "2019-04-05T12:34:56"],
    ["2021-02-13-1929.heic", "2021-02-13T19:29:00"],
    ["Screenshot 2019-04-05 at 12.34.56.png", "2019-04-05T12:34:56"],
    ["IMG_0001.JPG", undefined],
  ])("captureFromName(%j)", (name, local) => {
    expect(captureFromName(name)?.local).toBe(local);
  });

  it("tiffFromHeifExif finds the TIFF header after the offset word", () => {
    const item = Buffer.concat([Buffer.from([0, 0, 0, 6]), Buffer.from("Exif\0\0MM\0*\0\0\0\x08", "latin1")]);
    expect(tiffFromHeifExif(item)?.toString("latin1", 0, 4)).toBe("MM\0*");
    expect(tiffFromHeifExif(Buffer.alloc(4))).toBeNull();
  });

  it.skipIf(!real)("reads a real iPhone JPEG: capture with offset, Live Photo id from the MakerNote", async () => {
    const m = await readImageMeta(join(real!, "lychee/train.jpg"));
    expect(m).toMatchObject({ captureSource: "exif", capture: { local: "2021-04-10T11:44:00.814", offset: "+01:00" }, contentId: "E905E6C6-C747-4805-942F-9904A0281F02" });
  });
});
