import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { realFixtures } from "../../../../test/support.js";
import { parseAppleMakerNote } from "./makernote.js";

/** An Apple MakerNote with ASCII entries (tag -> value), big-endian, values stored after the IFD. */
function makerNote(entries: [number, string][]): Buffer {
  const head = Buffer.from("Apple iOS\0\0\x01MM", "latin1");
  const ifd = Buffer.alloc(2 + 12 * entries.length);
  ifd.writeUInt16BE(entries.length, 0);
  let dataOff = head.length + ifd.length;
  const data: Buffer[] = [];
  entries.forEach(([tag, value], i) => {
    const v = Buffer.from(value + "\0", "latin1");
    const e = 2 + 12 * i;
    ifd.writeUInt16BE(tag, e);
    ifd.writeUInt16BE(2, e + 2);
    ifd.writeUInt32BE(v.length, e + 4);
    ifd.writeUInt32BE(dataOff, e + 8);
    dataOff += v.length;
    data.push(v);
  });
  return Buffer.concat([head, ifd, ...data]);
}

describe("parseAppleMakerNote", () => {
  it("reads the Live Photo id (0x11) and the burst id (0x0b)", () => {
    expect(parseAppleMakerNote(makerNote([[0x11, "ABC-123"], [0x0b, "BURST-1"], [0x01, "ignored"]]))).toEqual({ contentId: "ABC-123", burstId: "BURST-1" });
  });
  it("a damaged or foreign maker note gives nothing, never throws", () => {
    const mn = makerNote([[0x11, "ABC-123"]]);
    expect(parseAppleMakerNote(mn.subarray(0, 20))).toEqual({});
    expect(parseAppleMakerNote(Buffer.from("Nikon\0\x02\x10\0\0MM\0*"))).toEqual({});
  });
  const real = realFixtures();
  it.skipIf(!real)("finds the MediaGroupUUID inside a real iPhone JPEG", () => {
    const buf = readFileSync(join(real!, "lychee/train.jpg"));
    const at = buf.indexOf("Apple iOS\0", 0, "latin1");
    expect(at).toBeGreaterThan(0);
    expect(parseAppleMakerNote(buf.subarray(at, at + 4096))).toMatchObject({ contentId: "E905E6C6-C747-4805-942F-9904A0281F02" });
  });
});
