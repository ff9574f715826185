import sharp, { type Sharp } from "sharp";
import { describe, expect, it } from "vitest";
import { displayOrientation, oriented } from "./thumbs.js";

// A 40x20 image, red in its top-left 20x10 quadrant and blue elsewhere: each of the 8 EXIF
// orientations puts the red quadrant somewhere else or changes the shape.
const W = 40;
const H = 20;
function marked(): Buffer {
  const px = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const red = x < W / 2 && y < H / 2;
      px.set(red ? [220, 20, 20] : [20, 20, 220], (y * W + x) * 3);
    }
  }
  return px;
}

/** Which quadrant is red, and the size: "40x20 TL". */
async function layout(img: Sharp): Promise<string> {
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) => data[(y * info.width + x) * info.channels]! > 128;
  const q = [
    ["TL", at(info.width / 4, info.height / 4)],
    ["TR", at((3 * info.width) / 4, info.height / 4)],
    ["BL", at(info.width / 4, (3 * info.height) / 4)],
    ["BR", at((3 * info.width) / 4, (3 * info.height) / 4)],
  ].filter(([, red]) => red);
  return `${info.width}x${info.height} ${q.map(([n]) => n).join(",")}`;
}

describe("oriented", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])("orientation %i matches what a viewer shows for a JPEG with that EXIF Orientation", async (o) => {
    const raw = { raw: { width: W, height: H, channels: 3 as const } };
    const ours = await layout(oriented(sharp(marked(), raw), o));
    // the reference: libvips' own EXIF orientation handling of a real JPEG carrying the tag
    const jpeg = await sharp(marked(), raw).jpeg({ quality: 95 }).withMetadata({ orientation: o }).toBuffer();
    const viewer = await layout(sharp(jpeg).autoOrient());
    expect(ours).toBe(viewer);
  });

  it("the 8 orientations give 8 different pictures", async () => {
    const raw = { raw: { width: W, height: H, channels: 3 as const } };
    const all = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((o) => layout(oriented(sharp(marked(), raw), o))));
    expect(new Set(all).size).toBe(8);
  });
});

describe("displayOrientation", () => {
  it("follows EXIF Orientation only when the HEIF file has no irot/imir of its own", () => {
    expect(displayOrientation(6, false)).toBe(6);
    expect(displayOrientation(6, true)).toBe(1);
    expect(displayOrientation(null, false)).toBe(1);
    expect(displayOrientation(9, false)).toBe(1);
  });
});
