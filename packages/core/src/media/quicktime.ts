// The QuickTime/MP4 parser: a clip's capture time, place, camera, codec, size, rotation and HDR
// transfer from its `moov` box, without spawning exiftool (which costs ~15 ms a file).
import { open } from "node:fs/promises";
import { captureFromUtc, parseCaptureTime } from "../time.js";
import { boxes, childBox, type Box } from "./boxes.js";
import type { MediaMeta } from "./exif.js";

/** Largest `moov` we read into memory (iPhone clips: tens of KB; hour-long videos: a few MB). */
const MAX_MOOV = 64 * 1024 * 1024;
/** Seconds between the QuickTime epoch (1904-01-01) and the Unix epoch. */
const QT_EPOCH = 2_082_844_800;

/** "+34.6648-086.4704+180.000/" (ISO 6709) -> latitude, longitude. */
export function parseIso6709(s: string): { lat: number; lon: number } | null {
  const m = /^([+\-]\d+(?:\.\d+)?)([+\-]\d+(?:\.\d+)?)/.exec(s.trim());
  if (!m) return null;
  const lat = Number(m[1]);
  const lon = Number(m[2]);
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  return { lat, lon };
}

/** Apple's metadata: `meta` (handler mdta) with `keys` + `ilst`: key name -> string value. */
function mdtaKeys(b: Buffer, meta: Box, out: Map<string, string>): void {
  const keys = childBox(b, meta, "keys", 4) ?? childBox(b, meta, "keys");
  const ilst = childBox(b, meta, "ilst", 4) ?? childBox(b, meta, "ilst");
  if (!keys || !ilst) return;
  const names: string[] = [];
  for (const k of boxes(b, keys.body + 8, keys.end, { complete: true })) names.push(b.toString("utf8", k.body, k.end));
  for (const item of boxes(b, ilst.body, ilst.end, { complete: true })) {
    const index = b.readUInt32BE(item.body - 4); // the item's box type is its 1-based key index
    const name = names[index - 1];
    const data = childBox(b, item, "data");
    if (!name || !data || data.end - data.body < 8) continue;
    const type = b.readUInt32BE(data.body) & 0xffffff;
    if (type === 1) out.set(name, b.toString("utf8", data.body + 8, data.end));
  }
}

/** Old-style udta strings (©xyz, ©mak, ©mod, ©day): u16 length, u16 language, text. */
function udtaStrings(b: Buffer, udta: Box, out: Map<string, string>): void {
  for (const c of boxes(b, udta.body, udta.end, { complete: true })) {
    if (c.type.charCodeAt(0) !== 0xa9 || c.end - c.body < 4) continue;
    const len = b.readUInt16BE(c.body);
    if (c.body + 4 + len <= c.end) out.set(c.type.slice(1), b.toString("utf8", c.body + 4, c.body + 4 + len));
  }
}

/** The first sample description of a video track (`mdia/minf/stbl/stsd`), or undefined for other tracks. */
function videoSampleEntry(b: Buffer, trak: Box): Box | undefined {
  const mdia = childBox(b, trak, "mdia");
  const hdlr = mdia && childBox(b, mdia, "hdlr");
  if (!mdia || !hdlr || b.toString("latin1", hdlr.body + 8, hdlr.body + 12) !== "vide") return undefined;
  const minf = childBox(b, mdia, "minf");
  const stbl = minf && childBox(b, minf, "stbl");
  const stsd = stbl && childBox(b, stbl, "stsd");
  return stsd ? [...boxes(b, stsd.body + 8, stsd.end, { complete: true })][0] : undefined;
}

/** Rotation (from the display matrix) and displayed track size from `tkhd`. */
function trackHeader(b: Buffer, tkhd: Box, meta: MediaMeta): void {
  const m = tkhd.body + (b[tkhd.body] === 1 ? 52 : 40); // the 3x3 matrix
  const a = b.readInt32BE(m) / 65536;
  const bb = b.readInt32BE(m + 4) / 65536;
  meta.rotation = ((Math.round((Math.atan2(bb, a) * 180) / Math.PI) % 360) + 360) % 360;
  const w = Math.round(b.readUInt32BE(m + 36) / 65536);
  const h = Math.round(b.readUInt32BE(m + 40) / 65536);
  if (w && h) {
    meta.width = w;
    meta.height = h;
  }
}

/** Codec, size, bit depth and HDR transfer of the first video track; false when there is none. */
function videoTrack(b: Buffer, moov: Box, meta: MediaMeta): boolean {
  for (const trak of boxes(b, moov.body, moov.end, { complete: true })) {
    if (trak.type !== "trak") continue;
    const entry = videoSampleEntry(b, trak);
    if (!entry) continue;
    const fourcc = entry.type.trim();
    meta.codec = fourcc === "hvc1" || fourcc === "hev1" ? "hevc" : fourcc === "avc1" || fourcc === "avc3" ? "h264" : fourcc;
    const tkhd = childBox(b, trak, "tkhd");
    if (tkhd) trackHeader(b, tkhd, meta);
    // visual sample entry: 6 reserved + 2 dref + 16 pre-defined, then width/height; boxes after 78 bytes
    if (!meta.width && entry.body + 28 <= entry.end) {
      meta.width = b.readUInt16BE(entry.body + 24);
      meta.height = b.readUInt16BE(entry.body + 26);
    }
    meta.bitDepth = 8;
    for (const c of boxes(b, entry.body + 78, entry.end, { complete: true })) {
      if (c.type === "hvcC" && c.body + 18 <= c.end) meta.bitDepth = (b[c.body + 17]! & 7) + 8;
      if (c.type === "colr" && /^ncl[xc]$/.test(b.toString("latin1", c.body, c.body + 4)) && c.body + 10 <= c.end) {
        const transfer = b.readUInt16BE(c.body + 6);
        if (transfer === 18) meta.hdr = "HLG";
        else if (transfer === 16) meta.hdr = "PQ";
      }
    }
    return true; // the first video track describes the clip
  }
  return false;
}

/** Capture time, place, camera and Live Photo id from the Apple keys (and udta strings as a fallback). */
function clipTags(strings: Map<string, string>, udta: Map<string, string>, created: number, meta: MediaMeta): void {
  const creation = parseCaptureTime(strings.get("com.apple.quicktime.creationdate")?.replace(/(\d)T(\d)/, "$1 $2"));
  if (creation) {
    meta.capture = creation;
    meta.captureSource = "quicktime";
  } else if (created > 0) {
    // mvhd creation time is UTC by specification; with no offset we show it in UTC
    const ms = (created - QT_EPOCH) * 1000;
    if (ms > Date.UTC(1971, 0, 1)) {
      meta.capture = captureFromUtc(ms, null);
      meta.captureSource = "quicktime";
    }
  }
  const where = strings.get("com.apple.quicktime.location.ISO6709") ?? udta.get("xyz");
  const gps = where ? parseIso6709(where) : null;
  if (gps) {
    meta.gpsLat = gps.lat;
    meta.gpsLon = gps.lon;
  }
  const make = strings.get("com.apple.quicktime.make") ?? udta.get("mak");
  const model = strings.get("com.apple.quicktime.model") ?? udta.get("mod");
  if (make?.trim()) meta.make = make.trim();
  if (model?.trim()) meta.model = model.trim();
  const id = strings.get("com.apple.quicktime.content.identifier")?.trim();
  if (id) meta.contentId = id;
}

/** Parse a `moov` box's payload into our record, or null when it lacks a video track we understand. */
export function parseMoov(b: Buffer): MediaMeta | null {
  const moov: Box = { type: "moov", start: 0, body: 0, end: b.length };
  const mvhd = childBox(b, moov, "mvhd");
  if (!mvhd) return null;
  const v1 = b[mvhd.body] === 1;
  const created = v1 ? Number(b.readBigUInt64BE(mvhd.body + 4)) : b.readUInt32BE(mvhd.body + 4);
  const timescale = b.readUInt32BE(mvhd.body + (v1 ? 20 : 12));
  const duration = v1 ? Number(b.readBigUInt64BE(mvhd.body + 24)) : b.readUInt32BE(mvhd.body + 16);
  const meta: MediaMeta = {};
  if (timescale > 0 && duration > 0) meta.duration = duration / timescale;
  const strings = new Map<string, string>();
  const udta = new Map<string, string>();
  for (const c of boxes(b, moov.body, moov.end, { complete: true })) {
    if (c.type === "meta") mdtaKeys(b, c, strings);
    if (c.type === "udta") {
      udtaStrings(b, c, udta);
      const m = childBox(b, c, "meta");
      if (m) mdtaKeys(b, m, strings);
    }
  }
  if (!videoTrack(b, moov, meta) || !meta.codec || !meta.duration) return null;
  clipTags(strings, udta, created, meta);
  return meta;
}

/** The top-level `moov` box of an open file: where its payload is, or null. */
async function locateMoov(fh: import("node:fs/promises").FileHandle, size: number): Promise<{ at: number; length: number } | null> {
  const hdr = Buffer.alloc(16);
  let off = 0;
  while (off + 8 <= size) {
    const { bytesRead } = await fh.read(hdr, 0, 16, off);
    if (bytesRead < 8) return null;
    let boxSize = hdr.readUInt32BE(0);
    let headerLen = 8;
    if (boxSize === 1) {
      if (bytesRead < 16) return null;
      boxSize = Number(hdr.readBigUInt64BE(8));
      headerLen = 16;
    } else if (boxSize === 0) boxSize = size - off;
    if (boxSize < headerLen) return null;
    if (hdr.toString("latin1", 4, 8) === "moov") {
      if (off + boxSize > size || boxSize > MAX_MOOV) return null;
      return { at: off + headerLen, length: boxSize - headerLen };
    }
    off += boxSize;
  }
  return null;
}

/**
 * Read a QuickTime/MP4 file's metadata without exiftool: walk the top-level boxes with a few
 * small reads, load `moov` (often at the end of iPhone files) and parse it. Null when the file
 * is not one we understand; the caller then asks exiftool.
 */
export async function readQuickTimeMeta(path: string | Buffer, size: number): Promise<MediaMeta | null> {
  const fh = await open(path, "r");
  try {
    const where = await locateMoov(fh, size);
    if (!where) return null;
    const moov = Buffer.alloc(where.length);
    const r = await fh.read(moov, 0, moov.length, where.at);
    if (r.bytesRead < moov.length) return null;
    return parseMoov(moov);
  } finally {
    await fh.close();
  }
}
