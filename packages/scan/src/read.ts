// Reading one source file into its catalog record: identify by magic bytes, read metadata with
// the fastest reader that understands the file, and decide what the file needs.
import { open } from "node:fs/promises";
import { posix } from "node:path";
import type { CaptureSource, CaptureTime, ExifTool, ItemRecord, MediaMeta, Probe } from "@archive/core";
import {
  SNIFF_BYTES,
  boxes,
  fourcc,
  captureFromName,
  captureFromUtc,
  extensionMismatch,
  identify,
  kindOfFormat,
  photoNeedsConversion,
  readExiftoolMeta,
  readImageMeta,
  readQuickTimeMeta,
  reasonOf,
  tiffFromHeifExif,
  videoNeedsConversion,
} from "@archive/core";
import { baseStem } from "./names.js";

const MEDIA_EXT = /\.(heic|heif|hif|avif|jpe?g|png|gif|tiff?|dng|webp|mov|mp4|m4v|3gp)$/i;
/** Largest HEIF `meta` box read in full when it does not fit in the first read. */
const MAX_META = 64 * 1024 * 1024;

/** The file's head; for a HEIF whose `meta` box is larger than the first read (rare), the whole box. */
async function readHead(path: string, size: number): Promise<Buffer> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(Math.min(SNIFF_BYTES, size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    if (head.length < 16 || fourcc(head, 4) !== "ftyp") return head;
    const need = metaEnd(head);
    if (need === null || need <= head.length || need > Math.min(size, MAX_META)) return head;
    const big = Buffer.alloc(need);
    const r = await fh.read(big, 0, need, 0);
    return big.subarray(0, r.bytesRead);
  } finally {
    await fh.close();
  }
}

/** Where the top-level `meta` box ends (it may run past the head), or null when there is none before the media data. */
function metaEnd(head: Buffer): number | null {
  for (const box of boxes(head, 0, head.length)) {
    if (box.type === "meta") return box.end;
    if (box.type === "mdat") return null;
  }
  return null;
}

/** The TIFF block of a HEIF's Exif item, from the head already read or one positional read. */
async function readHeifExif(path: string, at: { offset: number; length: number }, head: Buffer): Promise<Buffer | null> {
  if (at.length > 4 * 1024 * 1024) return null;
  if (at.offset + at.length <= head.length) return tiffFromHeifExif(head.subarray(at.offset, at.offset + at.length));
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(at.length);
    const { bytesRead } = await fh.read(buf, 0, at.length, at.offset);
    return tiffFromHeifExif(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** Displayed size: HEIF `irot` wins when present; otherwise EXIF orientation 5-8 (or a video's 90/270 rotation) swaps. */
export function displayedSize(probe: Probe, meta: MediaMeta | null): { width: number | null; height: number | null } {
  let w = probe.width ?? meta?.width ?? null;
  let h = probe.height ?? meta?.height ?? null;
  if (w === null || h === null) return { width: w, height: h };
  let swap: boolean;
  if (probe.irot !== undefined) swap = probe.irot === 90 || probe.irot === 270;
  else if (meta?.rotation !== undefined) swap = meta.rotation === 90 || meta.rotation === 270;
  else swap = (meta?.orientation ?? 1) >= 5;
  if (swap) [w, h] = [h, w];
  return { width: w, height: h };
}

function setCapture(rec: ItemRecord, c: CaptureTime, source: CaptureSource): void {
  rec.capture_local = c.local;
  rec.capture_offset = c.offset;
  rec.capture_utc_ms = c.utcMs;
  rec.capture_year = c.year;
  rec.capture_month = c.month;
  rec.capture_source = source;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** File facts a record starts from. */
interface FileFacts {
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
}

/** A record with the file's identity and format and no metadata yet. */
function baseRecord(relPath: string, st: FileFacts, probe: Probe, readError: string | null): ItemRecord {
  const kind = kindOfFormat(probe.format);
  const names = baseStem(relPath, kind === "sidecar");
  const name = posix.basename(relPath).normalize("NFC");
  const media = kind === "photo" || kind === "video" || kind === "raw" || probe.format === "empty";
  let error = readError ?? (media ? probe.problem ?? null : null);
  if (!error && probe.format === "unknown" && MEDIA_EXT.test(relPath)) {
    error = "not a photo or video: the content matches no known format (the extension says otherwise)";
  }
  return {
    rel_path: relPath, name, dir: names.dir, base_stem: names.stem, variant: names.variant,
    size: st.size, mtime_ms: Math.round(st.mtimeMs), dev: st.dev, ino: st.ino, format: probe.format, kind,
    capture_local: null, capture_offset: null, capture_utc_ms: null, capture_year: null, capture_month: null, capture_source: null,
    gps_lat: null, gps_lon: null, make: null, model: null, lens: null, width: null, height: null, orientation: null, rotation: null,
    duration: null, codec: null, bit_depth: null, hdr: probe.hasGainMap ? "gainmap" : null, icc: null, content_id: null, burst_id: null,
    needs_conversion: 0, error, ext_mismatch: extensionMismatch(name, probe.format),
  };
}

/**
 * Photos: the fast reader (exifr) first. A HEIF's Exif item is located by our own box walk
 * (exifr's HEIF reader misses some layouts, e.g. libheif's iloc base offsets); a JPEG's EXIF
 * sits in the first segments, which the head already holds (no second open).
 */
async function fastPhotoMeta(absPath: string, size: number, probe: Probe, head: Buffer): Promise<MediaMeta | null> {
  const tiff = probe.exif ? await readHeifExif(absPath, probe.exif, head).catch(() => null) : null;
  const src = tiff ?? (probe.format === "jpeg" ? head : absPath);
  let fast = await readImageMeta(src).catch(() => null);
  if (!fast?.capture && src === head && head.length < size) fast = await readImageMeta(absPath).catch(() => null);
  return fast;
}

/**
 * The metadata of a photo, RAW or video: exifr for photos, our QuickTime parser for videos, and
 * exiftool for what they cannot read (RAW, odd videos, images whose date they did not find).
 * Returns the metadata and, for a video nobody can read, the reason it is unreadable.
 */
async function readMeta(absPath: string, rec: ItemRecord, probe: Probe, head: Buffer, exiftool: ExifTool): Promise<{ meta: MediaMeta | null; error?: string }> {
  let fast: MediaMeta | null = null;
  if (rec.kind === "photo" && probe.format !== "gif" && probe.format !== "webp") {
    fast = await fastPhotoMeta(absPath, rec.size, probe, head);
    if (fast?.capture) return { meta: fast };
  }
  if (rec.kind === "video") {
    const qt = await readQuickTimeMeta(absPath, rec.size).catch(() => null);
    if (qt) return { meta: qt };
  }
  try {
    const slow = await readExiftoolMeta(exiftool, absPath);
    if (!fast || slow.capture) return { meta: slow };
    const meta: MediaMeta = { ...slow, ...definedOnly(fast) };
    const modified = slow.modified ?? fast.modified;
    if (modified) meta.modified = modified;
    return { meta };
  } catch (err) {
    if (rec.kind === "video") return { meta: null, error: `unreadable video: ${reasonOf(err)}` };
    return { meta: fast };
  }
}

/** Copy metadata into the record. */
function applyMeta(rec: ItemRecord, meta: MediaMeta, probe: Probe): void {
  if (meta.capture && meta.captureSource) setCapture(rec, meta.capture, meta.captureSource);
  // a camera's ModifyDate, when it records no capture time, beats the file's mtime (an export's are the zip's)
  else if (meta.modified) setCapture(rec, meta.modified, "exif");
  rec.gps_lat = meta.gpsLat ?? null;
  rec.gps_lon = meta.gpsLon ?? null;
  rec.make = meta.make ?? null;
  rec.model = meta.model ?? null;
  rec.lens = meta.lens ?? null;
  rec.orientation = meta.orientation ?? null;
  rec.rotation = meta.rotation ?? null;
  rec.duration = meta.duration ?? null;
  rec.codec = meta.codec ?? (rec.kind === "photo" ? probe.format : null);
  rec.bit_depth = meta.bitDepth ?? null;
  rec.hdr = meta.hdr ?? rec.hdr;
  rec.icc = meta.icc ?? null;
  rec.content_id = meta.contentId ?? null;
  rec.burst_id = meta.burstId ?? null;
  if (rec.kind === "video" && (!meta.duration || meta.duration <= 0) && !meta.codec) {
    rec.error = "unreadable video: no playable track found";
  }
}

/** Displayed size, a fallback capture time (file name, then mtime), and whether it needs converting. */
function finishRecord(rec: ItemRecord, probe: Probe, meta: MediaMeta | null, mtimeMs: number): void {
  const size = displayedSize(probe, meta);
  rec.width = size.width;
  rec.height = size.height;
  if (!rec.capture_local) {
    const fromName = captureFromName(rec.rel_path);
    if (fromName) setCapture(rec, fromName, "filename");
    else setCapture(rec, captureFromUtc(Math.round(mtimeMs), null), "mtime");
  }
  if (rec.error) return;
  if (rec.kind === "photo") rec.needs_conversion = photoNeedsConversion(probe.format) ? 1 : 0;
  if (rec.kind === "video") rec.needs_conversion = videoNeedsConversion(rec.codec, rec.bit_depth) || rec.hdr ? 1 : 0;
}

/** Read one file into a catalog record. Never throws for a bad file: the reason goes in `error`. */
export async function readItem(absPath: string, relPath: string, st: FileFacts, exiftool: ExifTool): Promise<ItemRecord> {
  let probe: Probe;
  let readError: string | null = null;
  let head: Buffer = Buffer.alloc(0);
  try {
    head = st.size === 0 ? head : await readHead(absPath, st.size);
    probe = identify(head, st.size, relPath);
  } catch (err) {
    probe = { format: "unknown" };
    readError = `cannot read: ${reasonOf(err)}`;
  }
  const rec = baseRecord(relPath, st, probe, readError);
  let meta: MediaMeta | null = null;
  if (!rec.error && (rec.kind === "photo" || rec.kind === "raw" || rec.kind === "video")) {
    const r = await readMeta(absPath, rec, probe, head, exiftool);
    meta = r.meta;
    if (r.error) rec.error = r.error;
  }
  if (meta) applyMeta(rec, meta, probe);
  finishRecord(rec, probe, meta, st.mtimeMs);
  return rec;
}
