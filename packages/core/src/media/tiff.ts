// In-place reading and patching of an EXIF TIFF structure (the bytes of a HEIF `Exif` item or a
// JPEG APP1 Exif segment). Values are changed only where they are stored, never re-laid out, so
// every offset in the block (the maker note's included) stays valid: the block is carried, not
// rewritten. Growing the block (a missing tag) appends a new IFD after the old bytes instead.

/** One IFD entry: where it sits and where its value is. */
export interface IfdEntry {
  tag: number;
  type: number;
  count: number;
  /** Offset of the 12-byte entry in the TIFF block. */
  at: number;
  /** Offset of the value (inline in the entry when it fits in 4 bytes). */
  valueAt: number;
}

export interface Ifd {
  at: number;
  entries: IfdEntry[];
  next: number;
}

const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4 };

/** A TIFF block with its byte order; offsets are relative to its first byte (the header). */
export class TiffBlock {
  readonly le: boolean;
  constructor(readonly buf: Buffer) {
    const bo = buf.toString("latin1", 0, 2);
    if (buf.length < 8 || (bo !== "II" && bo !== "MM")) throw new Error("not a TIFF structure (no II/MM header)");
    this.le = bo === "II";
    if (this.u16(2) !== 42) throw new Error("not a TIFF structure (magic is not 42)");
  }

  u16(o: number): number {
    return this.le ? this.buf.readUInt16LE(o) : this.buf.readUInt16BE(o);
  }

  u32(o: number): number {
    return this.le ? this.buf.readUInt32LE(o) : this.buf.readUInt32BE(o);
  }

  /** Read the IFD at `at`; `base` is what value offsets are relative to (maker notes differ). */
  ifd(at: number, base = 0): Ifd | null {
    if (at < 8 || at + 2 > this.buf.length) return null;
    const n = this.u16(at);
    if (at + 2 + n * 12 > this.buf.length) return null;
    const entries: IfdEntry[] = [];
    for (let i = 0; i < n; i++) {
      const e = at + 2 + i * 12;
      const type = this.u16(e + 2);
      const count = this.u32(e + 4);
      const size = (TYPE_SIZE[type] ?? 1) * count;
      entries.push({ tag: this.u16(e), type, count, at: e, valueAt: size <= 4 ? e + 8 : base + this.u32(e + 8) });
    }
    const nextAt = at + 2 + n * 12;
    return { at, entries, next: nextAt + 4 <= this.buf.length ? this.u32(nextAt) : 0 };
  }

  ifd0(): Ifd | null {
    return this.ifd(this.u32(4));
  }

  /** The IFD a pointer tag of `parent` (0x8769 Exif, 0x8825 GPS) leads to. */
  sub(parent: Ifd | null, tag: number): Ifd | null {
    const e = parent?.entries.find((x) => x.tag === tag);
    return e ? this.ifd(this.u32(e.valueAt)) : null;
  }

  /** An unsigned integer value (BYTE, SHORT or LONG) of one entry. */
  uint(e: IfdEntry): number | null {
    if (e.type === 3) return this.u16(e.valueAt);
    if (e.type === 4) return this.u32(e.valueAt);
    if (e.type === 1) return this.buf[e.valueAt] ?? null;
    return null;
  }

  /** Overwrite an integer value where it is stored; false when the type cannot hold it. */
  setUint(e: IfdEntry, v: number): boolean {
    if (e.type === 3 && v <= 0xffff) this.le ? this.buf.writeUInt16LE(v, e.valueAt) : this.buf.writeUInt16BE(v, e.valueAt);
    else if (e.type === 4) this.le ? this.buf.writeUInt32LE(v, e.valueAt) : this.buf.writeUInt32BE(v, e.valueAt);
    else return false;
    return true;
  }
}

/** What the conversion made untrue, to be written in place. */
export interface ExifPatch {
  /** New Orientation (1 when the decoder already rotated the pixels). */
  orientation?: number;
  /** Pixel size of the output image as stored. */
  width?: number;
  height?: number;
}

const ORIENTATION = 0x0112;
const DIM_TAGS: [number, number][] = [
  [0x0100, 0x0101], // IFD0 ImageWidth / ImageLength
  [0xa002, 0xa003], // ExifIFD PixelXDimension / PixelYDimension (exiftool: ExifImageWidth/Height)
];

/**
 * Patch a copy of `tiff` in place: Orientation and pixel-dimension tags, only where they exist.
 * Returns the new bytes and the names of the tags changed (none added, nothing moved).
 */
export function patchExif(tiff: Buffer, p: ExifPatch): { tiff: Buffer; changed: string[]; problems: string[] } {
  const t = new TiffBlock(Buffer.from(tiff));
  const ifd0 = t.ifd0();
  const exif = t.sub(ifd0, 0x8769);
  const changed: string[] = [];
  const problems: string[] = [];
  const set = (ifd: Ifd | null, tag: number, v: number | undefined, name: string) => {
    const e = ifd?.entries.find((x) => x.tag === tag);
    if (!e || v === undefined || t.uint(e) === v) return;
    if (t.setUint(e, v)) changed.push(name);
    else problems.push(`${name} is stored as type ${e.type} and cannot hold ${v}`);
  };
  set(ifd0, ORIENTATION, p.orientation, "Orientation");
  for (const [ifd, [w, h], names] of [
    [ifd0, DIM_TAGS[0]!, ["ImageWidth", "ImageHeight"]],
    [exif, DIM_TAGS[1]!, ["ExifImageWidth", "ExifImageHeight"]],
  ] as const) {
    set(ifd, w, p.width, names[0]);
    set(ifd, h, p.height, names[1]);
  }
  return { tiff: t.buf, changed, problems };
}

/** The Orientation tag's value (1-8), or null when absent. */
export function exifOrientation(tiff: Buffer): number | null {
  const t = new TiffBlock(tiff);
  const e = t.ifd0()?.entries.find((x) => x.tag === ORIENTATION);
  return e ? t.uint(e) : null;
}

const APPLE_MN = Buffer.from("Apple iOS\0", "latin1");

/**
 * Signed rationals of the Apple maker note by tag (e.g. 0x21 HDRHeadroom, 0x30 HDRGain). The
 * Apple maker note is an IFD 14 bytes after "Apple iOS\0", its offsets relative to
 * the maker note's own start.
 */
export function appleMakerNoteRationals(tiff: Buffer, tags: number[]): Map<number, number> {
  const out = new Map<number, number>();
  const t = new TiffBlock(tiff);
  const mn = t.sub(t.ifd0(), 0x8769)?.entries.find((x) => x.tag === 0x927c);
  if (!mn || !tiff.subarray(mn.valueAt, mn.valueAt + APPLE_MN.length).equals(APPLE_MN)) return out;
  // the byte order is at byte 12 of the maker note (Apple writes "MM")
  const head = tiff.toString("latin1", mn.valueAt + 12, mn.valueAt + 14) === "II" ? "II*\0" : "MM\0*";
  const be = new TiffBlock(Buffer.concat([Buffer.from(`${head}\0\0\0\0`, "latin1"), tiff.subarray(mn.valueAt)]));
  // the copy starts 8 bytes before the maker note: its offsets become base 8
  const ifd = be.ifd(8 + 14, 8);
  for (const e of ifd?.entries ?? []) {
    if (!tags.includes(e.tag) || (e.type !== 10 && e.type !== 5) || e.valueAt + 8 > be.buf.length) continue;
    const num = e.type === 10 ? (be.le ? be.buf.readInt32LE(e.valueAt) : be.buf.readInt32BE(e.valueAt)) : be.u32(e.valueAt);
    const den = be.u32(e.valueAt + 4);
    if (den) out.set(e.tag, num / den);
  }
  return out;
}

/** A tag to add; values over 4 bytes are stored after the old bytes. */
interface NewTag {
  tag: number;
  type: number;
  count: number;
  /** The value in big-endian order (converted to the block's order when written). */
  value: Buffer;
  name: string;
}

/** What the added tags must say about the JPEG. */
export interface JpegFacts {
  width: number;
  height: number;
  /** An ICC profile other than sRGB is embedded (ColorSpace then says "uncalibrated", as Apple writes it). */
  iccNotSrgb: boolean;
}

const u16be = (v: number) => Buffer.from([v >> 8, v & 255]);
const u32be = (v: number) => Buffer.from([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);

/** Tags a JPEG's Exif must have (Exif 2.32 4.6.3) that HEIF writers leave out; the values exiftool writes. */
function jpegRequired(f: JpegFacts): { ifd: "ifd0" | "exif" | "gps"; add: NewTag }[] {
  return [
    { ifd: "ifd0", add: { tag: 0x011a, type: 5, count: 1, value: Buffer.concat([u32be(72), u32be(1)]), name: "XResolution" } },
    { ifd: "ifd0", add: { tag: 0x011b, type: 5, count: 1, value: Buffer.concat([u32be(72), u32be(1)]), name: "YResolution" } },
    { ifd: "ifd0", add: { tag: 0x0128, type: 3, count: 1, value: u16be(2), name: "ResolutionUnit" } },
    { ifd: "ifd0", add: { tag: 0x0213, type: 3, count: 1, value: u16be(1), name: "YCbCrPositioning" } },
    { ifd: "exif", add: { tag: 0x9000, type: 7, count: 4, value: Buffer.from("0232", "latin1"), name: "ExifVersion" } },
    { ifd: "exif", add: { tag: 0x9101, type: 7, count: 4, value: Buffer.from([1, 2, 3, 0]), name: "ComponentsConfiguration" } },
    { ifd: "exif", add: { tag: 0xa000, type: 7, count: 4, value: Buffer.from("0100", "latin1"), name: "FlashpixVersion" } },
    { ifd: "exif", add: { tag: 0xa001, type: 3, count: 1, value: u16be(f.iccNotSrgb ? 0xffff : 1), name: "ColorSpace" } },
    { ifd: "exif", add: { tag: 0xa002, type: 4, count: 1, value: u32be(f.width), name: "ExifImageWidth" } },
    { ifd: "exif", add: { tag: 0xa003, type: 4, count: 1, value: u32be(f.height), name: "ExifImageHeight" } },
    { ifd: "gps", add: { tag: 0x0000, type: 1, count: 4, value: Buffer.from([2, 3, 0, 0]), name: "GPSVersionID" } },
  ];
}

/** A big-endian value in the block's byte order (element-wise for SHORT, LONG and RATIONAL). */
function inOrder(t: TiffBlock, x: NewTag): Buffer {
  if (!t.le || x.type === 1 || x.type === 7 || x.type === 2) return x.value;
  const out = Buffer.from(x.value);
  const size = x.type === 3 ? 2 : 4;
  for (let o = 0; o < out.length; o += size) out.subarray(o, o + size).reverse();
  return out;
}

/**
 * Add the tags JPEG requires and the block lacks, without moving a byte: each IFD that gains a tag
 * is written again after the old bytes (entries copied, the new one inserted in tag order) and its
 * parent pointer is redirected. Every value offset, the maker note's included, stays as it was.
 * A block without an Exif IFD gets none (only IFD0 and GPS additions).
 */
export function addJpegRequiredTags(tiff: Buffer, facts: JpegFacts): { tiff: Buffer; added: string[] } {
  const t = new TiffBlock(tiff);
  const ifd0 = t.ifd0();
  if (!ifd0) return { tiff, added: [] };
  const byName = { ifd0, exif: t.sub(ifd0, 0x8769), gps: t.sub(ifd0, 0x8825) };
  const required = jpegRequired(facts);
  const add = (name: "ifd0" | "exif" | "gps") =>
    required.filter((r) => r.ifd === name && byName[name] && !byName[name]!.entries.some((e) => e.tag === r.add.tag)).map((r) => r.add);
  const [addIfd0, addExif, addGps] = [add("ifd0"), add("exif"), add("gps")];
  if (!addExif.length && !addGps.length && !addIfd0.length) return { tiff, added: [] };
  const chunks: Buffer[] = [tiff];
  let end = tiff.length;
  const place = (b: Buffer): number => {
    if (end % 2) {
      chunks.push(Buffer.alloc(1));
      end++;
    }
    chunks.push(b);
    end += b.length;
    return end - b.length;
  };
  const pointers = new Map<number, number>();
  if (addExif.length) pointers.set(0x8769, place(rewriteIfd(t, byName.exif!, addExif, pointers, place)));
  if (addGps.length) pointers.set(0x8825, place(rewriteIfd(t, byName.gps!, addGps, pointers, place)));
  const newIfd0 = addIfd0.length || pointers.size ? place(rewriteIfd(t, ifd0, addIfd0, pointers, place)) : ifd0.at;
  const out = Buffer.concat(chunks);
  if (t.le) out.writeUInt32LE(newIfd0, 4);
  else out.writeUInt32BE(newIfd0, 4);
  return { tiff: out, added: [...addIfd0, ...addExif, ...addGps].map((a) => a.name) };
}

/** A copy of `ifd` with `extra` entries inserted in tag order and pointer tags redirected. */
function rewriteIfd(t: TiffBlock, ifd: Ifd, extra: NewTag[], pointers: Map<number, number>, place: (b: Buffer) => number): Buffer {
  const w16 = (b: Buffer, v: number, o: number) => (t.le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const w32 = (b: Buffer, v: number, o: number) => (t.le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  const rows = ifd.entries.map((e) => {
    const bytes = Buffer.from(t.buf.subarray(e.at, e.at + 12));
    const p = pointers.get(e.tag);
    if (p !== undefined) w32(bytes, p, 8);
    return { tag: e.tag, bytes };
  });
  for (const x of extra) {
    const bytes = Buffer.alloc(12);
    w16(bytes, x.tag, 0);
    w16(bytes, x.type, 2);
    w32(bytes, x.count, 4);
    const value = inOrder(t, x);
    if (value.length <= 4) value.copy(bytes, 8);
    else w32(bytes, place(value), 8);
    rows.push({ tag: x.tag, bytes });
  }
  rows.sort((a, b) => a.tag - b.tag);
  const out = Buffer.alloc(2 + rows.length * 12 + 4);
  w16(out, rows.length, 0);
  rows.forEach((r, i) => r.bytes.copy(out, 2 + i * 12));
  w32(out, ifd.next, out.length - 4);
  return out;
}
