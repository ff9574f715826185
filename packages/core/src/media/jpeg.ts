// JPEG marker segments: read the metadata segments of a JPEG (APP1 Exif/XMP, APP2 ICC, MPF, ISO
// 21496-1) and write them into an encoder's output as bytes. With a gain map the file becomes
// ISO 21496-1 in JPEG ("Ultra HDR"): the base JPEG, an MPF index, and the gain-map JPEG after it.

/** One marker segment before the scan data. */
export interface JpegSegment {
  marker: number;
  /** Offset of the 0xFF of the marker. */
  at: number;
  /** The payload after the 2-byte length. */
  data: Buffer;
}

const SOI = 0xd8;
const SOS = 0xda;
const EXIF_ID = Buffer.from("Exif\0\0", "latin1");
const XMP_ID = Buffer.from("http://ns.adobe.com/xap/1.0/\0", "latin1");
const ICC_ID = Buffer.from("ICC_PROFILE\0", "latin1");
const MPF_ID = Buffer.from("MPF\0", "latin1");
/** The APP2 identifier of ISO 21496-1 gain-map metadata in JPEG. */
export const ISO_GAINMAP_ID = Buffer.from("urn:iso:std:iso:ts:21496:-1\0", "latin1");
const MAX_PAYLOAD = 0xffff - 2;

/** The segments from SOI up to (not including) SOS. */
export function jpegSegments(jpeg: Buffer, from = 0): JpegSegment[] {
  if (jpeg[from] !== 0xff || jpeg[from + 1] !== SOI) throw new Error("not a JPEG (no SOI)");
  const out: JpegSegment[] = [];
  let p = from + 2;
  while (p + 4 <= jpeg.length) {
    if (jpeg[p] !== 0xff) throw new Error(`JPEG marker expected at ${p}`);
    const marker = jpeg[p + 1]!;
    if (marker === 0xff) {
      p++;
      continue;
    }
    if (marker === SOS) break;
    const len = jpeg.readUInt16BE(p + 2);
    if (len < 2 || p + 2 + len > jpeg.length) throw new Error(`JPEG segment at ${p} runs past the end`);
    out.push({ marker, at: p, data: jpeg.subarray(p + 4, p + 2 + len) });
    p += 2 + len;
  }
  return out;
}

function segment(marker: number, ...parts: Buffer[]): Buffer {
  const len = parts.reduce((n, b) => n + b.length, 0) + 2;
  if (len - 2 > MAX_PAYLOAD) throw new Error(`a JPEG segment holds at most ${MAX_PAYLOAD} bytes (${len - 2} given)`);
  const head = Buffer.from([0xff, marker, len >> 8, len & 0xff]);
  return Buffer.concat([head, ...parts]);
}

/** APP1 Exif from a TIFF block (byte-exact). */
export function exifSegment(tiff: Buffer): Buffer {
  return segment(0xe1, EXIF_ID, tiff);
}

/** APP1 XMP from an XMP packet (byte-exact). */
export function xmpSegment(packet: Buffer): Buffer {
  return segment(0xe1, XMP_ID, packet);
}

/** APP2 ICC_PROFILE segments (the profile split in numbered chunks, as ICC.1 Annex B says). */
export function iccSegments(icc: Buffer): Buffer[] {
  const room = MAX_PAYLOAD - ICC_ID.length - 2;
  const n = Math.ceil(icc.length / room);
  if (n > 255) throw new Error("ICC profile too large for JPEG");
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) out.push(segment(0xe2, ICC_ID, Buffer.from([i + 1, n]), icc.subarray(i * room, (i + 1) * room)));
  return out;
}

/** What a JPEG's metadata segments carry. */
export interface JpegMetadata {
  /** The TIFF block of the APP1 Exif segment. */
  exif: Buffer | null;
  xmp: Buffer | null;
  icc: Buffer | null;
  /** An MPF index is present (a multi-picture file). */
  mpf: boolean;
  /** The ISO 21496-1 APP2 segment of the primary image (the version-only marker). */
  isoGainMap: boolean;
}

/** Read the primary image's metadata segments. */
export function readJpegMetadata(jpeg: Buffer): JpegMetadata {
  const out: JpegMetadata = { exif: null, xmp: null, icc: null, mpf: false, isoGainMap: false };
  const icc: Buffer[] = [];
  for (const s of jpegSegments(jpeg)) {
    const starts = (id: Buffer) => s.data.subarray(0, id.length).equals(id);
    if (s.marker === 0xe1 && !out.exif && starts(EXIF_ID)) out.exif = s.data.subarray(EXIF_ID.length);
    else if (s.marker === 0xe1 && !out.xmp && starts(XMP_ID)) out.xmp = s.data.subarray(XMP_ID.length);
    else if (s.marker === 0xe2 && starts(ICC_ID)) icc.push(s.data.subarray(ICC_ID.length + 2));
    else if (s.marker === 0xe2 && starts(MPF_ID)) out.mpf = true;
    else if (s.marker === 0xe2 && starts(ISO_GAINMAP_ID)) out.isoGainMap = true;
  }
  if (icc.length) out.icc = Buffer.concat(icc);
  return out;
}

/** The ISO 21496-1 marker among the segments in the first bytes of a JPEG (a head may end mid-segment). */
export function jpegHeadHasIsoGainMap(head: Buffer): boolean {
  let p = 2;
  while (p + 4 <= head.length && head[p] === 0xff && head[p + 1] !== SOS) {
    const len = head.readUInt16BE(p + 2);
    const id = head.subarray(p + 4, Math.min(p + 4 + ISO_GAINMAP_ID.length, head.length));
    if (head[p + 1] === 0xe2 && id.equals(ISO_GAINMAP_ID)) return true;
    p += 2 + len;
  }
  return false;
}

/**
 * Put `segments` into an encoder's JPEG right after SOI (and its JFIF APP0, which must stay
 * first), dropping any APP1/APP2 the encoder wrote itself. Returns [head, scan]: the header up
 * to SOS, and SOS through EOI.
 */
function withSegments(jpeg: Buffer, segments: Buffer[]): [Buffer, Buffer] {
  const segs = jpegSegments(jpeg);
  const parts: Buffer[] = [Buffer.from([0xff, SOI])];
  const first = segs[0];
  const jfif = first && first.marker === 0xe0 ? [first] : [];
  for (const s of jfif) parts.push(jpeg.subarray(s.at, s.at + 4 + s.data.length));
  parts.push(...segments);
  for (const s of segs) {
    if (jfif.includes(s) || s.marker === 0xe1 || s.marker === 0xe2) continue;
    parts.push(jpeg.subarray(s.at, s.at + 4 + s.data.length));
  }
  const last = segs[segs.length - 1];
  const sos = last ? last.at + 4 + last.data.length : 2;
  return [Buffer.concat(parts), jpeg.subarray(sos)];
}

/** The encoder's JPEG with `segments` (Exif, XMP, ICC ...) carried in as they are. */
export function jpegWithSegments(jpeg: Buffer, segments: Buffer[]): Buffer {
  return Buffer.concat(withSegments(jpeg, segments));
}

/** The MPF APP2 payload (CIPA DC-007) for a primary image and one gain-map image after it. */
function mpfPayload(primarySize: number, secondarySize: number, secondaryOffset: number): Buffer {
  const b = Buffer.alloc(4 + 8 + 2 + 3 * 12 + 4 + 2 * 16);
  MPF_ID.copy(b, 0);
  b.write("MM\0*", 4, "latin1");
  b.writeUInt32BE(8, 8); // index IFD right after the header
  b.writeUInt16BE(3, 12);
  const tag = (i: number, t: number, type: number, count: number, v: number | Buffer) => {
    const o = 14 + i * 12;
    b.writeUInt16BE(t, o);
    b.writeUInt16BE(type, o + 2);
    b.writeUInt32BE(count, o + 4);
    if (Buffer.isBuffer(v)) v.copy(b, o + 8);
    else b.writeUInt32BE(v, o + 8);
  };
  const entries = 8 + 2 + 3 * 12 + 4; // offset of the MP entries, relative to the MPF header
  tag(0, 0xb000, 7, 4, Buffer.from("0100", "latin1")); // MPFVersion
  tag(1, 0xb001, 4, 1, 2); // NumberOfImages
  tag(2, 0xb002, 7, 32, entries); // MPEntry
  b.writeUInt32BE(0, 14 + 36); // no next IFD
  const e = 4 + entries;
  b.writeUInt32BE(0x030000, e); // primary image, baseline JPEG
  b.writeUInt32BE(primarySize, e + 4);
  b.writeUInt32BE(0, e + 8);
  b.writeUInt32BE(0, e + 16); // secondary: JPEG, no type flags (a gain map is not a preview)
  b.writeUInt32BE(secondarySize, e + 20);
  b.writeUInt32BE(secondaryOffset, e + 24);
  return b;
}

/**
 * ISO 21496-1 in JPEG: the base JPEG (with `segments` carried in) + the ISO version marker + an
 * MPF index, followed by the gain-map JPEG carrying the ISO metadata (`iso`, the binary
 * GainMapMetadata after its version byte) and `gainMapSegments` (e.g. the source gain map's own
 * XMP). Base and gain-map scan data are not touched.
 */
export function ultraHdrJpeg(base: Buffer, segments: Buffer[], gainMap: Buffer, iso: Buffer, gainMapSegments: Buffer[] = []): Buffer {
  const isoMarker = segment(0xe2, ISO_GAINMAP_ID, Buffer.alloc(4)); // minimum and writer version 0
  const gm = jpegWithSegments(gainMap, [...gainMapSegments, segment(0xe2, ISO_GAINMAP_ID, iso)]);
  const [head, scan] = withSegments(base, [...segments, isoMarker]);
  const mpfLen = 4 + mpfPayload(0, 0, 0).length;
  const primarySize = head.length + mpfLen + scan.length;
  // MPF offsets count from the MPF header (the byte after "MPF\0"), i.e. 8 bytes into the segment
  const mpf = segment(0xe2, mpfPayload(primarySize, gm.length, primarySize - (head.length + 8)));
  return Buffer.concat([head, mpf, scan, gm]);
}

/** The gain-map JPEG of an MPF file (the second image), or null. */
export function secondaryImage(jpeg: Buffer): Buffer | null {
  for (const s of jpegSegments(jpeg)) {
    if (s.marker !== 0xe2 || !s.data.subarray(0, 4).equals(MPF_ID)) continue;
    const base = s.at + 8;
    const le = s.data.toString("latin1", 4, 6) === "II";
    const u32 = (o: number) => (le ? s.data.readUInt32LE(o) : s.data.readUInt32BE(o));
    const u16 = (o: number) => (le ? s.data.readUInt16LE(o) : s.data.readUInt16BE(o));
    const ifd = 4 + u32(8);
    for (let i = 0; i < u16(ifd); i++) {
      const o = ifd + 2 + i * 12;
      if (u16(o) !== 0xb002 || u32(o + 4) < 32) continue;
      const e = 4 + u32(o + 8) + 16;
      const size = u32(e + 4);
      const off = base + u32(e + 8);
      return off + size <= jpeg.length ? jpeg.subarray(off, off + size) : null;
    }
  }
  return null;
}

/** Where the APP1 XMP goes in a header that has none: after the APP0/APP1 Exif lead segments. */
function xmpInsertAt(jpeg: Buffer, segs: JpegSegment[]): number {
  let at = 2;
  for (const s of segs) {
    const exif = s.marker === 0xe1 && s.data.subarray(0, EXIF_ID.length).equals(EXIF_ID);
    if (s.marker !== 0xe0 && !exif) break;
    at = s.at + 4 + s.data.length;
  }
  return at;
}

/**
 * Fix an MPF index after `delta` bytes were inserted (or removed) at `at` in the primary image's
 * header: the primary image's size grows by delta, and the offsets of later images (counted from
 * the MPF header) move only when the change lies after that header.
 */
function patchMpf(jpeg: Buffer, mpf: JpegSegment, at: number, delta: number): void {
  const header = mpf.at + 8; // the byte after "MPF\0", before any change
  const pos = at < header ? header + delta : header; // where that header is in the new bytes
  const le = jpeg.toString("latin1", pos, pos + 2) === "II";
  const u32 = (o: number) => (le ? jpeg.readUInt32LE(pos + o) : jpeg.readUInt32BE(pos + o));
  const w32 = (o: number, v: number) => (le ? jpeg.writeUInt32LE(v, pos + o) : jpeg.writeUInt32BE(v, pos + o));
  const u16 = (o: number) => (le ? jpeg.readUInt16LE(pos + o) : jpeg.readUInt16BE(pos + o));
  const ifd = u32(4);
  for (let i = 0; i < u16(ifd); i++) {
    const o = ifd + 2 + i * 12;
    if (u16(o) !== 0xb002) continue;
    const entries = u32(o + 8);
    for (let e = 0; e < Math.floor(u32(o + 4) / 16); e++) {
      const base = entries + e * 16;
      const offset = u32(base + 8);
      if (offset === 0) w32(base + 4, u32(base + 4) + delta);
      else if (at > header) w32(base + 8, offset + delta);
    }
  }
}

/**
 * The JPEG with its primary image's XMP packet replaced by `packet` (inserted when it has none,
 * removed when `packet` is null). Every other byte stays; an MPF index (a gain map after the
 * base image) is patched so it still finds its images.
 */
export function jpegWithXmp(jpeg: Buffer, packet: Buffer | null): Buffer {
  const segs = jpegSegments(jpeg);
  const old = segs.find((s) => s.marker === 0xe1 && s.data.subarray(0, XMP_ID.length).equals(XMP_ID));
  const at = old ? old.at : xmpInsertAt(jpeg, segs);
  const end = old ? old.at + 4 + old.data.length : at;
  const replacement = packet ? xmpSegment(packet) : Buffer.alloc(0);
  const out = Buffer.concat([jpeg.subarray(0, at), replacement, jpeg.subarray(end)]);
  const delta = replacement.length - (end - at);
  const mpf = segs.find((s) => s.marker === 0xe2 && s.data.subarray(0, MPF_ID.length).equals(MPF_ID));
  if (mpf && delta !== 0) patchMpf(out, mpf, at, delta);
  return out;
}
