import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { realFixtures } from "../../../../test/support.js";
import { findMetaBox, heifStructure, parseMetaBoxes } from "./heif.js";

const real = realFixtures();

/** A box with a payload. */
const box = (type: string, ...payload: Buffer[]) => {
  const body = Buffer.concat(payload);
  const b = Buffer.alloc(8);
  b.writeUInt32BE(8 + body.length, 0);
  b.write(type, 4, "latin1");
  return Buffer.concat([b, body]);
};
const full = (type: string, version: number, ...payload: Buffer[]) => box(type, Buffer.from([version, 0, 0, 0]), ...payload);
const u16 = (...v: number[]) => Buffer.from(v.flatMap((n) => [n >> 8, n & 255]));
const u32 = (...v: number[]) => {
  const b = Buffer.alloc(4 * v.length);
  v.forEach((n, i) => b.writeUInt32BE(n, 4 * i));
  return b;
};

/** A minimal HEIF head: primary item 1 (hvc1) with ispe 640x480, irot 90, and an iloc extent at `dataEnd`. */
function tinyHeif(dataEnd: number): Buffer {
  const infe = full("infe", 2, u16(1, 0), Buffer.from("hvc1\0", "latin1"));
  const ispe = full("ispe", 0, u32(640, 480));
  const irot = box("irot", Buffer.from([1]));
  const ipma = full("ipma", 0, u32(1), u16(1), Buffer.from([2, 0x81, 0x02]));
  const iloc = full("iloc", 0, Buffer.from([0x44, 0x00]), u16(1), u16(1, 0), u16(1), u32(dataEnd - 100, 100));
  const meta = full("meta", 0, full("hdlr", 0, Buffer.alloc(20)), full("pitm", 0, u16(1)), full("iinf", 0, u16(1), infe), box("iprp", box("ipco", ispe, irot), ipma), iloc);
  const ftyp = box("ftyp", Buffer.from("heic\0\0\0\0mif1heic", "latin1"));
  return Buffer.concat([ftyp, meta]);
}

describe("heifStructure", () => {
  it("reads the primary item's size, rotation and type from a HEIF made here", () => {
    const head = tinyHeif(5000);
    expect(heifStructure(head, 5000)).toMatchObject({ width: 640, height: 480, irot: 90, primaryType: "hvc1", tiles: 0, hasGainMap: false });
    expect(heifStructure(head, 5000).problem).toBeUndefined();
  });

  it("an item whose data runs past the end of the file is truncation", () => {
    expect(heifStructure(tinyHeif(5000), 4000).problem).toMatch(/truncated HEIF: image data runs to byte 5000 but the file has 4000/);
  });

  it("a meta box larger than the head, or missing, is a problem, not a crash", () => {
    const head = tinyHeif(5000);
    expect(heifStructure(head.subarray(0, 60), 5000).problem).toMatch(/larger than the header/);
    expect(heifStructure(head.subarray(0, 60), 60).problem).toMatch(/truncated HEIF header/);
    expect(findMetaBox(box("ftyp", Buffer.from("heic")), 100)).toEqual({ problem: "no HEIF 'meta' box" });
  });

  it.skipIf(!real)("a 24 MP iPhone 15 Pro HEIC: 45 tiles, irot 270, both gain maps, depth", () => {
    const buf = readFileSync(join(real!, "osxphotos/IMG_3582.HEIC"));
    const s = heifStructure(buf.subarray(0, 256 * 1024), buf.length);
    expect(s).toMatchObject({ width: 5712, height: 4284, irot: 270, primaryType: "grid", tiles: 45, hasGainMap: true });
    expect(s.aux).toEqual(expect.arrayContaining(["urn:com:apple:photo:2020:aux:hdrgainmap"]));
    const meta = findMetaBox(buf, buf.length);
    expect("problem" in meta).toBe(false);
    if (!("problem" in meta)) expect([...parseMetaBoxes(buf, meta).types.values()]).toContain("tmap");
  });

  it.skipIf(!real)("the exiv2 proof-of-concept HEIC is reported, not thrown", () => {
    const buf = readFileSync(join(real!, "exiv2/issue_1793_poc.heic"));
    let problem: string | undefined;
    try {
      problem = heifStructure(buf, buf.length).problem;
    } catch (err) {
      problem = `threw ${String(err)}`;
    }
    expect(problem).toBeDefined();
  });
});
