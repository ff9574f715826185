import { describe, expect, it } from "vitest";
import { compareParity, parityFromTags } from "./metadata.js";

const heic = { MIMEType: "image/heic", ImageWidth: 5712, ImageHeight: 4284, Orientation: 6, Rotation: "Rotate 90 CW" };

describe("displayed size", () => {
  it.each([
    ["iPhone HEIC: irot and EXIF Orientation for the same turn", heic, [4284, 5712]],
    ["HEIC with irot only", { ...heic, Orientation: undefined }, [4284, 5712]],
    ["JPEG with EXIF Orientation 6", { MIMEType: "image/jpeg", ImageWidth: 4032, ImageHeight: 3024, Orientation: 6 }, [3024, 4032]],
    ["upright JPEG", { MIMEType: "image/jpeg", ImageWidth: 4032, ImageHeight: 3024, Orientation: 1 }, [4032, 3024]],
    ["rotated video", { MIMEType: "video/quicktime", ImageWidth: 1920, ImageHeight: 1440, Rotation: 90 }, [1440, 1920]],
    ["upright video", { MIMEType: "video/mp4", ImageWidth: 1440, ImageHeight: 1920, Rotation: 0 }, [1440, 1920]],
  ])("%s", (_, tags, [w, h]) => {
    const m = parityFromTags(tags as Record<string, unknown>);
    expect([m.width, m.height]).toEqual([w, h]);
  });
});

describe("compareParity", () => {
  const src = parityFromTags({
    MIMEType: "video/quicktime",
    CreationDate: "2025:05:26 09:27:06-05:00",
    CreateDate: "2025:05:26 14:27:06",
    GPSLatitude: 34.6648,
    GPSLongitude: -86.4704,
    Make: "Apple",
    Model: "iPhone 15 Pro",
    ImageWidth: 1920,
    ImageHeight: 1440,
    Rotation: 90,
    Duration: 1.91,
    ContentIdentifier: "602FEBB7",
  });
  it("accepts a faithful conversion (rotation baked into pixels, UTC CreateDate kept)", () => {
    const out = parityFromTags({
      MIMEType: "video/mp4",
      CreationDate: "2025:05:26 09:27:06-05:00",
      GPSLatitude: 34.664805,
      GPSLongitude: -86.4704,
      Make: "Apple",
      Model: "iPhone 15 Pro",
      ImageWidth: 1440,
      ImageHeight: 1920,
      Rotation: 0,
      Duration: 1.93,
      ContentIdentifier: "602FEBB7",
    });
    expect(compareParity(src, out)).toEqual([]);
  });
  it("names every lost or changed field", () => {
    const out = parityFromTags({ MIMEType: "video/mp4", CreateDate: "2025:05:26 14:27:06", GPSLatitude: 34.6649, GPSLongitude: -86.4704, ImageWidth: 1920, ImageHeight: 1440, Duration: 1.5 });
    const d = compareParity(src, out).join("; ");
    expect(d).toMatch(/capture time 2025-05-26T09:27:06-05:00 became 2025-05-26T14:27:06\+00:00/);
    expect(d).toMatch(/GPS .* became/);
    expect(d).toMatch(/Make "Apple" became ""/);
    expect(d).toMatch(/displayed size 1440x1920 became 1920x1440/);
    expect(d).toMatch(/duration 1.910 s became 1.500 s/);
    expect(d).toMatch(/content id 602FEBB7 lost/);
  });
});

describe("capture times", () => {
  it("reads offsets written after GMT/UTC", () => {
    const m = parityFromTags({ MIMEType: "image/heic", CreateDate: "2024:04:22 14:38:09.526GMT+02:00" });
    expect(m.capture).toMatchObject({ local: "2024-04-22T14:38:09.526", offset: "+02:00" });
  });
  it("a source without an offset needs only its wall-clock time to survive", () => {
    const src = parityFromTags({ MIMEType: "image/jpeg", DateTimeOriginal: "2011:01:13 14:33:39" });
    const out = parityFromTags({ MIMEType: "image/jpeg", DateTimeOriginal: "2011:01:13 14:33:39", OffsetTimeOriginal: "+01:00" });
    expect(compareParity(src, out)).toEqual([]);
    const moved = parityFromTags({ MIMEType: "image/jpeg", DateTimeOriginal: "2011:01:13 13:33:39" });
    expect(compareParity(src, moved)).toEqual(["capture time 2011-01-13T14:33:39 became 2011-01-13T13:33:39"]);
  });
});

describe("HDR gain-map parity (issue 13)", () => {
  it("a gain map in the source must be in the output; none in the source asks for none", () => {
    const photo = { video: false };
    expect(compareParity({ ...photo, gainMap: true }, { ...photo, gainMap: false })).toEqual(["HDR gain map lost (the source has one, the JPEG has no ISO 21496-1 gain map)"]);
    expect(compareParity({ ...photo, gainMap: true }, { ...photo, gainMap: true })).toEqual([]);
    expect(compareParity({ ...photo, gainMap: false }, { ...photo, gainMap: false })).toEqual([]);
  });
});
