import { open } from "node:fs/promises";
import { captureFromUtc, parseCaptureTime } from "@archive/core";
import type { MediaMeta } from "./metadata.js";

/** Largest `moov` we read into memory (iPhone clips: tens of KB; hour-long videos: a few MB). */
const MAX_MOOV = 64 * 1024 * 1024;
/** Seconds between the QuickTime epoch (1904-01-01) and the Unix epoch. */
const QT_EPOCH = 2_082_844_800;

interface Box {
  type: string;
  body: number;
  end: number;
}

function* boxes(b: Buffer, start: number, end: number): Generator<Box> {
  let off = start;
  while (off + 8 <= end) {
    let size = b.readUInt32BE(off);
    const type = b.toString("latin1", off + 4, off + 8);
    let body = off + 8;
    if (size === 1) {
      if (off + 16 > end) return;
      size = Number(b.readBigUInt64BE(off + 8));
      body = off + 16;
    } else if (size === 0) size = end - off;
    if (size < body - off || off + size > end) return;
    yield { type, body, end: off + size };
    off += size;
  }
}

const child = (b: Buffer, box: Box, type: string, skip = 0) => {
  for (const c of boxes(b, box.body + skip, box.end)) if (c.type === type) return c;
  return undefined;
};

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
  const keys = child(b, meta, "keys", 4) ?? child(b, meta, "keys");
  const ilst = child(b, meta, "ilst", 4) ?? child(b, meta, "ilst");
  if (!keys || !ilst) return;
  const names: string[] = [];
  for (const k of boxes(b, keys.body + 8, keys.end)) names.push(b.toString("utf8", k.body, k.end));
  for (const item of boxes(b, ilst.body, ilst.end)) {
    const index = b.readUInt32BE(item.body - 4); // the item's box type is its 1-based key index
    const name = names[index - 1];
    const data = child(b, item, "data");
    if (!name || !data || data.end - data.body < 8) continue;
    const type = b.readUInt32BE(data.body) & 0xffffff;
    if (type === 1) out.set(name, b.toString("utf8", data.body + 8, data.end));
  }
}

/** Old-style udta strings (©xyz, ©mak, ©mod, ©day): u16 length, u16 language, text. */
function udtaStrings(b: Buffer, udta: Box, out: Map<string, string>): void {
  for (const c of boxes(b, udta.body, udta.end)) {
    if (c.type.charCodeAt(0) !== 0xa9 || c.end - c.body < 4) continue;
    const len = b.readUInt16BE(c.body);
    if (c.body + 4 + len <= c.end) out.set(c.type.slice(1), b.toString("utf8", c.body + 4, c.body + 4 + len));
  }
}

/** Parse a `moov` box into our record, or null when it lacks a video track we understand. */
export function parseMoov(b: Buffer): MediaMeta | null {
  const moov: Box = { type: "moov", body: 0, end: b.length };
  const mvhd = child(b, moov, "mvhd");
  if (!mvhd) return null;
  const v1 = b[mvhd.body] === 1;
  const created = v1 ? Number(b.readBigUInt64BE(mvhd.body + 4)) : b.readUInt32BE(mvhd.body + 4);
  const timescale = b.readUInt32BE(mvhd.body + (v1 ? 20 : 12));
  const duration = v1 ? Number(b.readBigUInt64BE(mvhd.body + 24)) : b.readUInt32BE(mvhd.body + 16);
  const meta: MediaMeta = {};
  if (timescale > 0 && duration > 0) meta.duration = duration / timescale;

  const strings = new Map<string, string>();
  const udtaStr = new Map<string, string>();
  for (const c of boxes(b, moov.body, moov.end)) {
    if (c.type === "meta") mdtaKeys(b, c, strings);
    if (c.type === "udta") {
      udtaStrings(b, c, udtaStr);
      const m = child(b, c, "meta");
      if (m) mdtaKeys(b, m, strings);
    }
  }
  let video = false;
  for (const trak of boxes(b, moov.body, moov.end)) {
    if (trak.type !== "trak") continue;
    const mdia = child(b, trak, "mdia");
    const hdlr = mdia && child(b, mdia, "hdlr");
    if (!mdia || !hdlr || b.toString("latin1", hdlr.body + 8, hdlr.body + 12) !== "vide") continue;
    const stsd = (() => {
      const minf = child(b, mdia, "minf");
      const stbl = minf && child(b, minf, "stbl");
      return stbl && child(b, stbl, "stsd");
    })();
    const entry = stsd ? [...boxes(b, stsd.body + 8, stsd.end)][0] : undefined;
    if (!entry) continue;
    video = true;
    const fourcc = entry.type.trim();
    meta.codec = fourcc === "hvc1" || fourcc === "hev1" ? "hevc" : fourcc === "avc1" || fourcc === "avc3" ? "h264" : fourcc;
    const tkhd = child(b, trak, "tkhd");
    if (tkhd) {
      const tv1 = b[tkhd.body] === 1;
      const m = tkhd.body + (tv1 ? 52 : 40); // the 3x3 matrix
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
    // visual sample entry: 6 reserved + 2 dref + 16 pre-defined, then width/height; boxes after 78 bytes
    if (!meta.width && entry.body + 28 <= entry.end) {
      meta.width = b.readUInt16BE(entry.body + 24);
      meta.height = b.readUInt16BE(entry.body + 26);
    }
    meta.bitDepth = 8;
    for (const c of boxes(b, entry.body + 78, entry.end)) {
      if (c.type === "hvcC" && c.body + 18 <= c.end) meta.bitDepth = (b[c.body + 17]! & 7) + 8;
      if (c.type === "colr" && /^ncl[xc]$/.test(b.toString("latin1", c.body, c.body + 4)) && c.body + 10 <= c.end) {
        const transfer = b.readUInt16BE(c.body + 6);
        if (transfer === 18) meta.hdr = "HLG";
        else if (transfer === 16) meta.hdr = "PQ";
      }
    }
    break; // the first video track describes the clip
  }
  if (!video || !meta.codec || !meta.duration) return null;

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
  const where = strings.get("com.apple.quicktime.location.ISO6709") ?? udtaStr.get("xyz");
  const gps = where ? parseIso6709(where) : null;
  if (gps) {
    meta.gpsLat = gps.lat;
    meta.gpsLon = gps.lon;
  }
  const make = strings.get("com.apple.quicktime.make") ?? udtaStr.get("mak");
  const model = strings.get("com.apple.quicktime.model") ?? udtaStr.get("mod");
  if (make?.trim()) meta.make = make.trim();
  if (model?.trim()) meta.model = model.trim();
  const id = strings.get("com.apple.quicktime.content.identifier")?.trim();
  if (id) meta.contentId = id;
  return meta;
}

/**
 * Read a QuickTime/MP4 file's metadata without exiftool: walk the top-level boxes with a few
 * small reads, load `moov` (often at the end of iPhone files) and parse it. Null when the file
 * is not one we understand; the caller then asks exiftool.
 */
export async function readQuickTimeMeta(path: string, size: number): Promise<MediaMeta | null> {
  const fh = await open(path, "r");
  try {
    const hdr = Buffer.alloc(16);
    let off = 0;
    while (off + 8 <= size) {
      const { bytesRead } = await fh.read(hdr, 0, 16, off);
      if (bytesRead < 8) return null;
      let boxSize = hdr.readUInt32BE(0);
      const type = hdr.toString("latin1", 4, 8);
      let headerLen = 8;
      if (boxSize === 1) {
        if (bytesRead < 16) return null;
        boxSize = Number(hdr.readBigUInt64BE(8));
        headerLen = 16;
      } else if (boxSize === 0) boxSize = size - off;
      if (boxSize < headerLen) return null;
      if (type === "moov") {
        if (off + boxSize > size || boxSize > MAX_MOOV) return null;
        const moov = Buffer.alloc(boxSize - headerLen);
        const r = await fh.read(moov, 0, moov.length, off + headerLen);
        if (r.bytesRead < moov.length) return null;
        return parseMoov(moov);
      }
      off += boxSize;
    }
    return null;
  } finally {
    await fh.close();
  }
}
