import { describe, expect, it } from "vitest";
import { boxes, childBox } from "./boxes.js";

/** A box: 32-bit size, type, payload. */
const box = (type: string, payload: Buffer = Buffer.alloc(0)) => {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(8 + payload.length, 0);
  b.write(type, 4, "latin1");
  return Buffer.concat([b, payload]);
};

describe("boxes", () => {
  it("iterates siblings, 64-bit sizes and size 0 (to the end)", () => {
    const big = Buffer.alloc(20);
    big.writeUInt32BE(1, 0);
    big.write("free", 4, "latin1");
    big.writeBigUInt64BE(20n, 8);
    const zero = Buffer.alloc(12);
    zero.write("mdat", 4, "latin1"); // size 0
    const buf = Buffer.concat([box("ftyp", Buffer.from("heic")), big, zero]);
    expect([...boxes(buf, 0, buf.length)].map((b) => [b.type, b.start, b.body, b.end])).toEqual([
      ["ftyp", 0, 8, 12],
      ["free", 12, 28, 32],
      ["mdat", 32, 40, 44],
    ]);
  });

  it("yields a box that runs past the region unless `complete` is asked, and stops at a bad size", () => {
    const truncated = box("meta", Buffer.alloc(100)).subarray(0, 40);
    expect([...boxes(truncated, 0, truncated.length)].map((b) => b.end)).toEqual([108]);
    expect([...boxes(truncated, 0, truncated.length, { complete: true })]).toEqual([]);
    const bad = Buffer.from([0, 0, 0, 4, 0x61, 0x62, 0x63, 0x64]); // size 4 < header
    expect([...boxes(bad, 0, bad.length)]).toEqual([]);
  });

  it("finds a child, skipping a full box's version and flags", () => {
    const meta = box("meta", Buffer.concat([Buffer.alloc(4), box("hdlr"), box("keys", Buffer.alloc(8))]));
    const parent = [...boxes(meta, 0, meta.length)][0]!;
    expect(childBox(meta, parent, "keys", 4)).toMatchObject({ type: "keys", start: 20, end: 36 });
    expect(childBox(meta, parent, "ilst", 4)).toBeUndefined();
  });
});
