import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCaptureTime, captureFromUtc } from "@archive/core";
import { baseStem, cleanDate, parseIso6709, decodeText, identify, parseAppleCsvDate, parseCsv, safeName, captureFromName, metaFromExiftool } from "@archive/scan";
import { realFixtures } from "../../../test/support.js";

/** An ISO-BMFF `ftyp` box with a major brand and compatible brands, plus optional trailing bytes. */
function ftyp(major: string, compat: string[], tail: Buffer = Buffer.alloc(0)): Buffer {
  const size = 16 + 4 * compat.length;
  const b = Buffer.alloc(size);
  b.writeUInt32BE(size, 0);
  b.write("ftyp", 4, "latin1");
  b.write(major, 8, "latin1");
  compat.forEach((c, i) => b.write(c, 16 + 4 * i, "latin1"));
  return Buffer.concat([b, tail]);
}

describe("identify (magic bytes)", () => {
  it.each([
    ["heic", ["mif1", "heic"], "heic"],
    ["heix", ["mif1", "heix"], "heic"],
    ["mif1", ["mif1", "miaf", "MiHB", "heic"], "heic"],
    ["mif1", ["mif1", "miaf"], "heif"],
    ["msf1", ["msf1", "hevc"], "heic"],
    ["avif", ["mif1", "avif", "miaf"], "avif"],
    ["mif1", ["mif1", "avif"], "avif"],
    ["qt  ", ["qt  "], "mov"],
    ["isom", ["isom", "iso2", "avc1", "mp41"], "mp4"],
    ["mp42", ["mp42", "isom"], "mp4"],
    ["M4V ", ["M4V ", "M4A ", "mp42", "isom"], "m4v"],
    ["3gp4", ["3gp4", "isom"], "3gp"],
    ["XAVC", ["XAVC", "mp42", "iso2"], "mp4"],
    ["abcd", ["abcd", "qt  "], "mov"],
  ])("ftyp major %j compat %j is %s", (major, compat, format) => {
    const buf = ftyp(major, compat);
    expect(identify(buf, buf.length + 1000).format).toBe(format);
  });

  it("reports the brands it saw", () => {
    const buf = ftyp("heic", ["mif1", "heic"]);
    expect(identify(buf, 10_000).brands).toEqual(["heic", "mif1", "heic"]);
  });

  it("a HEIF ftyp without a meta box is a HEIF with a problem, not a crash", () => {
    const p = identify(ftyp("heic", ["mif1", "heic"]), 10_000);
    expect(p.format).toBe("heic");
    expect(p.problem).toMatch(/meta/);
  });

  it("JPEG with its SOF size", () => {
    // SOI, APP0 (len 16), SOF0 (len 17) 480x640
    const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, ...Buffer.from("JFIF\0"), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
    const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 8, 0x01, 0xe0, 0x02, 0x80, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    const buf = Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof]);
    expect(identify(buf, buf.length)).toMatchObject({ format: "jpeg", width: 640, height: 480 });
  });

  it("PNG with its IHDR size, and a truncated PNG", () => {
    const png = Buffer.alloc(33);
    Buffer.from("\x89PNG\r\n\x1a\n", "latin1").copy(png, 0);
    png.writeUInt32BE(13, 8);
    png.write("IHDR", 12, "latin1");
    png.writeUInt32BE(1136, 16);
    png.writeUInt32BE(640, 20);
    expect(identify(png, 5000)).toMatchObject({ format: "png", width: 1136, height: 640 });
    expect(identify(png.subarray(0, 12), 12)).toMatchObject({ format: "png", problem: expect.stringMatching(/truncated/) });
  });

  it.each([
    [Buffer.from("GIF89a\x10\x00\x20\x00", "latin1"), "gif"],
    [Buffer.from("RIFF\0\0\0\0WEBPVP8 ", "latin1"), "webp"],
    [Buffer.from("II*\0\x08\0\0\0\0\0", "latin1"), "tiff"],
    [Buffer.from("\0\0\0\x08wide\0\0\0\0mdat", "latin1"), "mov"],
  ])("%#: other magic -> %s", (buf, format) => {
    expect(identify(buf, 100_000).format).toBe(format);
  });

  it("empty, random and CSV", () => {
    expect(identify(Buffer.alloc(0), 0)).toMatchObject({ format: "empty", problem: expect.any(String) });
    const random = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) % 251));
    expect(identify(random, 512, "x.heic")).toMatchObject({ format: "unknown", problem: expect.any(String) });
    expect(identify(Buffer.from("imgName,fileChecksum\nIMG_1.JPG,x\n"), 30, "Photo Details.csv").format).toBe("csv");
    // the extension is only a hint for CSV: a .jpg full of CSV text is not a JPEG
    expect(identify(Buffer.from("a,b\n"), 4, "x.jpg").format).toBe("unknown");
  });

  it("AAE plists (XML) are sidecars", () => {
    const xml = Buffer.from('<?xml version="1.0"?><plist><dict><key>adjustmentFormatIdentifier</key><string>com.apple.photo</string></dict></plist>');
    expect(identify(xml, xml.length, "IMG_1.AAE").format).toBe("aae");
  });

  const real = realFixtures();
  it.skipIf(!real).each([
    ["exif-samples/HMD_Nokia_8.3_5G.heif", "heic", { width: 4608, height: 3456, irot: 270 }],
    ["lychee/mongolia", "jpeg", { width: 1280, height: 850 }],
    ["osxphotos/IMG_3582.HEIC", "heic", { width: 5712, height: 4284, irot: 270, primaryType: "grid", tiles: 45, hasGainMap: true }],
    ["metadata-extractor-images/IMG_2927.HEIC", "heic", { width: 3024, height: 4032 }],
    ["osxphotos/IMG_3582.mov", "mov", {}],
    ["osxphotos/IMG_2908.PNG", "png", { width: 1136, height: 640 }],
    ["exiv2/IMG_1361.dng", "dng", {}],
    ["osxphotos/IMG_1853.AAE", "aae", {}],
  ])("real file %s is %s", (rel, format, extra) => {
    const buf = readFileSync(join(real!, rel));
    const p = identify(buf.subarray(0, 256 * 1024), buf.length, rel);
    expect(p.format).toBe(format);
    expect(p.problem).toBeUndefined();
    expect(p).toMatchObject(extra);
  });

  it.skipIf(!real).each([
    ["pillow_heif/truncated.heic", /truncated/],
    ["exiv2/issue_1793_poc.heic", /truncated|meta/],
  ])("corrupt real file %s has a problem", (rel, re) => {
    const buf = readFileSync(join(real!, rel));
    expect(identify(buf, buf.length, rel).problem).toMatch(re);
  });
});

describe("parseCsv / decodeText / safeName", () => {
  it("quotes, doubled quotes, CRLF, commas inside quotes, blank lines", () => {
    const text = 'a,b,c\r\n"x, y","say ""hi""",3\r\n\r\nlast,,\n';
    expect(parseCsv(text)).toEqual([
      ["a", "b", "c"],
      ["x, y", 'say "hi"', "3"],
      ["last", "", ""],
    ]);
  });
  it("a row without a final newline and an unterminated quote do not throw", () => {
    expect(parseCsv("a,b\n1,2")).toEqual([["a", "b"], ["1", "2"]]);
    expect(() => parseCsv('a,"b\n1,2')).not.toThrow();
  });
  it("decodes UTF-8 with BOM, UTF-16LE/BE with BOM, and falls back to Latin-1", () => {
    expect(decodeText(Buffer.from("\ufeffcafé", "utf8"))).toBe("café");
    expect(decodeText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("café", "utf16le")]))).toBe("café");
    expect(decodeText(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from("café", "utf16le").swap16()]))).toBe("café");
    expect(decodeText(Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toBe("café");
  });
  it.each([
    ["IMG_0001.JPG", "IMG_0001.JPG"],
    ["  IMG_0001.JPG ", "IMG_0001.JPG"],
    ["../IMG_0001.JPG", null],
    ["..", null],
    ["a/b.jpg", null],
    ["a\\b.jpg", null],
    ["x\0.jpg", null],
    ["x\n.jpg", null],
    ["", null],
    [undefined, null],
    ["Cafe\u0301.jpg", "Café.jpg"],
  ])("safeName(%j) = %j", (raw, want) => {
    expect(safeName(raw)).toBe(want);
  });
});

describe("capture times", () => {
  it.each([
    ["2025:05:26 09:27:06", null, undefined, { local: "2025-05-26T09:27:06", offset: null, year: 2025, month: 5 }],
    ["2025:05:26 09:27:06-05:00", null, undefined, { local: "2025-05-26T09:27:06", offset: "-05:00" }],
    ["2025:05:26 09:27:06", "-0500", "603", { local: "2025-05-26T09:27:06.603", offset: "-05:00" }],
    ["2025-05-26T09:27:06.5Z", null, undefined, { local: "2025-05-26T09:27:06.500", offset: "+00:00" }],
    ["2023:12:31 23:30:00-05:00", null, undefined, { year: 2023, month: 12, utcMs: Date.UTC(2024, 0, 1, 4, 30) }],
    ["2024:01:01 00:30:00+09:00", null, undefined, { year: 2024, month: 1, utcMs: Date.UTC(2023, 11, 31, 15, 30) }],
    ["2020:02:29 12:00", null, undefined, { local: "2020-02-29T12:00:00" }],
  ])("parseCaptureTime(%j, %j, %j)", (raw, off, sub, want) => {
    expect(parseCaptureTime(raw, off, sub)).toMatchObject(want);
  });
  it.each([["0000:00:00 00:00:00"], [""], ["    :  :     :  :  "], ["2020:13:01 00:00:00"], ["yesterday"], [undefined], [12345]])(
    "parseCaptureTime(%j) is null",
    (raw) => {
      expect(parseCaptureTime(raw)).toBeNull();
    },
  );
  it("an offset inside the string wins over OffsetTime*; a nonsense offset is ignored", () => {
    expect(parseCaptureTime("2021:01:01 10:00:00+02:00", "-07:00")?.offset).toBe("+02:00");
    expect(parseCaptureTime("2021:01:01 10:00:00", "+25:00")?.offset).toBeNull();
  });
  it("QuickTime UTC shown in an offset keeps the local year", () => {
    const c = captureFromUtc(Date.UTC(2024, 0, 1, 4, 30), "-05:00");
    expect(c).toMatchObject({ local: "2023-12-31T23:30:00", year: 2023, month: 12 });
  });
  it.each([
    ["Monday June 5,2023 7:33 PM GMT", { local: "2023-06-05T19:33:00", offset: "+00:00", year: 2023 }],
    ["Sunday December 31,2023 11:59 PM GMT", { local: "2023-12-31T23:59:00", year: 2023 }],
    ["Friday January 1,2021 12:05 AM GMT", { local: "2021-01-01T00:05:00" }],
    ["Tuesday March 7, 2017 12:30 PM GMT", { local: "2017-03-07T12:30:00" }],
    ["2019-04-05T12:34:56Z", { local: "2019-04-05T12:34:56", offset: "+00:00" }],
  ])("Apple CSV date %j", (raw, want) => {
    expect(parseAppleCsvDate(raw)).toMatchObject(want);
  });
  it.each([["not a date"], ["Smarch 5,2023 7:33 PM GMT"], [""]])("Apple CSV date %j is null", (raw) => {
    expect(parseAppleCsvDate(raw)).toBeNull();
  });
  it.each([
    ["IMG_20190405_123456.jpg", "2019-04-05T12:34:56"],
    ["2021-02-13-1929.heic", "2021-02-13T19:29:00"],
    ["Screenshot 2019-04-05 at 12.34.56.png", "2019-04-05T12:34:56"],
    ["VID_20200101.mp4", "2020-01-01T00:00:00"],
  ])("captureFromName(%j)", (name, local) => {
    expect(captureFromName(name)?.local).toBe(local);
  });
  it.each([
    ["2024-04-22T14:38:09GMT+2", "2024-04-22T14:38:09+02:00"],
    ["2024:04:22 14:38:09.526GMT+02:00", "2024:04:22 14:38:09.526+02:00"],
    ["2024:04:22 14:38:09 UTC", "2024:04:22 14:38:09Z"],
    ["2024:04:22 14:38:09-0730", "2024:04:22 14:38:09-0730"],
  ])("cleanDate(%j) = %j", (raw, want) => {
    expect(cleanDate(raw)).toBe(want);
    expect(parseCaptureTime(cleanDate(raw))?.offset).not.toBeNull();
  });
  it("exiftool tags: a photo with only XMP DateCreated or ModifyDate", () => {
    expect(metaFromExiftool({ MIMEType: "image/heic", DateCreated: "2015:09:27 16:29:28" })).toMatchObject({ captureSource: "xmp" });
    const m = metaFromExiftool({ MIMEType: "image/heic", ModifyDate: "2022:02:03 14:44:07", SubSecTime: "722" });
    expect(m.capture).toBeUndefined();
    expect(m.modified).toMatchObject({ local: "2022-02-03T14:44:07.722" });
  });
  it("captureFromName without a date is null", () => {
    expect(captureFromName("IMG_0001.JPG")).toBeNull();
  });
  it("exiftool tags: video CreationDate (local + offset) beats UTC CreateDate", () => {
    const m = metaFromExiftool({ MIMEType: "video/quicktime", CreationDate: "2023:12:31 23:30:00-05:00", CreateDate: "2024:01:01 04:30:00" });
    expect(m).toMatchObject({ captureSource: "quicktime", capture: { local: "2023-12-31T23:30:00", offset: "-05:00", year: 2023 } });
    const utcOnly = metaFromExiftool({ MIMEType: "video/mp4", CreateDate: "2024:01:01 04:30:00" });
    expect(utcOnly.capture).toMatchObject({ local: "2024-01-01T04:30:00", offset: null, year: 2024 });
  });
});

describe("parseIso6709", () => {
  it.each([
    ["+34.6648-086.4704+180.000/", { lat: 34.6648, lon: -86.4704 }],
    ["-33.8568+151.2153/", { lat: -33.8568, lon: 151.2153 }],
    ["+91.0000+000.0000/", null],
    ["garbage", null],
  ])("%j", (s, want) => {
    expect(parseIso6709(s)).toEqual(want);
  });
});

describe("baseStem", () => {
  it.each([
    ["dir/IMG_1234.HEIC", false, { dir: "dir", stem: "img_1234", variant: "original" }],
    ["dir/IMG_E1234.heic", false, { dir: "dir", stem: "img_1234", variant: "edit" }],
    ["dir/IMG_O1234.aae", true, { dir: "dir", stem: "img_1234", variant: "sidecar" }],
    ["dir/IMG_1234.AAE", true, { dir: "dir", stem: "img_1234", variant: "sidecar" }],
    ["photo_edited.jpg", false, { dir: "", stem: "photo", variant: "edit" }],
    ["photo (Edited).jpg", false, { dir: "", stem: "photo", variant: "edit" }],
    ["photo-edited.jpg", false, { dir: "", stem: "photo", variant: "edit" }],
    ["a/b/mongolia", false, { dir: "a/b", stem: "mongolia", variant: "original" }],
    [".hidden", false, { dir: "", stem: ".hidden", variant: "original" }],
    ["IMG_E12345.JPG", false, { stem: "img_e12345", variant: "original" }],
    ["DSC_E0001.JPG", false, { stem: "dsc_0001", variant: "edit" }],
    ["edited.jpg", false, { stem: "edited", variant: "original" }],
  ])("baseStem(%j, sidecar=%j)", (rel, sidecar, want) => {
    expect(baseStem(rel, sidecar)).toMatchObject(want);
  });
});
