// Reading one source file into its catalog record: identify by magic bytes, read metadata with
// the fastest reader that understands the file, and decide what the file needs.
import { open } from "node:fs/promises";
import { posix } from "node:path";
import type { CaptureSource, CaptureTime, ExifTool, ItemRecord, MediaMeta, Probe } from "@archive/core";
import {
  SNIFF_BYTES,
  boxes,
  fourcc,
  parseMoov,
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
/** Largest `moov` box read (as core's QuickTime reader). */
const MAX_MOOV = 64 * 1024 * 1024;

/**
 * A file's bytes as readItem reads them: a file on disk, or a zip member held in memory or read
 * in place (issue 10: no temp copy unless a reader truly needs a file).
 */
export interface ItemBytes {
  /** Up to `length` bytes at `offset` (fewer at the end). */
  read(offset: number, length: number): Promise<Buffer>;
  /** What exifr reads a whole photo from: the path, or the bytes. */
  whole(): Promise<string | Buffer>;
  /** A path on disk holding the bytes, for exiftool (a zip member is copied on first call; the caller deletes it). */
  path(): Promise<string>;
  /** The file on disk, when the bytes are one (our QuickTime reader then reads it directly). */
  file?: string;
}

/** A file on disk as ItemBytes. */
export function fileBytes(path: string): ItemBytes {
  return {
    file: path,
    whole: async () => path,
    path: async () => path,
    async read(offset, length) {
      const fh = await open(path, "r");
      try {
        const buf = Buffer.alloc(length);
        const { bytesRead } = await fh.read(buf, 0, length, offset);
        return buf.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    },
  };
}

/** Bytes in memory as ItemBytes; `path` makes a file of them when exiftool needs one. */
export function memoryBytes(buf: Buffer, path: () => Promise<string>): ItemBytes {
  return { whole: async () => buf, path, read: async (offset, length) => buf.subarray(offset, offset + length) };
}

/** The file's head; for a HEIF whose `meta` box is larger than the first read (rare), the whole box. */
async function readHead(src: ItemBytes, size: number): Promise<Buffer> {
  const head = await src.read(0, Math.min(SNIFF_BYTES, size));
  if (head.length < 16 || fourcc(head, 4) !== "ftyp") return head;
  const need = metaEnd(head);
  if (need === null || need <= head.length || need > Math.min(size, MAX_META)) return head;
  return src.read(0, need);
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
async function readHeifExif(src: ItemBytes, at: { offset: number; length: number }, head: Buffer): Promise<Buffer | null> {
  if (at.length > 4 * 1024 * 1024) return null;
  if (at.offset + at.length <= head.length) return tiffFromHeifExif(head.subarray(at.offset, at.offset + at.length));
  return tiffFromHeifExif(await src.read(at.offset, at.length));
}

/** A QuickTime/MP4's metadata from ItemBytes: walk the top-level boxes with small reads, then parse `moov`. */
async function quickTimeMeta(src: ItemBytes, size: number): Promise<MediaMeta | null> {
  if (src.file !== undefined) return readQuickTimeMeta(src.file, size);
  for (let off = 0; off + 8 <= size; ) {
    const hdr = await src.read(off, 16);
    if (hdr.length < 8) return null;
    let boxSize = hdr.readUInt32BE(0);
    let headerLen = 8;
    if (boxSize === 1) {
      if (hdr.length < 16) return null;
      [boxSize, headerLen] = [Number(hdr.readBigUInt64BE(8)), 16];
    } else if (boxSize === 0) boxSize = size - off;
    if (boxSize < headerLen) return null;
    if (fourcc(hdr, 4) === "moov") {
      if (off + boxSize > size || boxSize > MAX_MOOV) return null;
      const moov = await src.read(off + headerLen, boxSize - headerLen);
      return moov.length === boxSize - headerLen ? parseMoov(moov) : null;
    }
    off += boxSize;
  }
  return null;
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
    duration: null, codec: null, bit_depth: null, hdr: probe.hasGainMap ? "gainmap" : null, icc: probe.icc ?? null, content_id: null, burst_id: null,
    needs_conversion: 0, error, ext_mismatch: extensionMismatch(name, probe.format),
  };
}

/**
 * Photos: the fast reader (exifr) first. A HEIF's Exif item is located by our own box walk
 * (exifr's HEIF reader misses some layouts, e.g. libheif's iloc base offsets); a JPEG's EXIF
 * sits in the first segments, which the head already holds (no second open).
 */
async function fastPhotoMeta(bytes: ItemBytes, size: number, probe: Probe, head: Buffer): Promise<MediaMeta | null> {
  const tiff = probe.exif ? await readHeifExif(bytes, probe.exif, head).catch(() => null) : null;
  const src = tiff ?? (probe.format === "jpeg" ? head : await bytes.whole().catch(() => null));
  if (src === null) return null;
  let fast = await readImageMeta(src).catch(() => null);
  if (!fast?.capture && src === head && head.length < size) fast = await bytes.whole().then(readImageMeta).catch(() => null);
  return fast;
}

/**
 * The metadata of a photo, RAW or video: exifr for photos, our QuickTime parser for videos, and
 * exiftool for what they cannot read (RAW, odd videos, images whose date they did not find).
 * Returns the metadata and, for a video nobody can read, the reason it is unreadable.
 */
async function readMeta(bytes: ItemBytes, rec: ItemRecord, probe: Probe, head: Buffer, exiftool: ExifTool): Promise<{ meta: MediaMeta | null; error?: string }> {
  let fast: MediaMeta | null = null;
  if (rec.kind === "photo" && probe.format !== "gif" && probe.format !== "webp") {
    fast = await fastPhotoMeta(bytes, rec.size, probe, head);
    if (fast?.capture) return { meta: fast };
  }
  if (rec.kind === "video") {
    const qt = await quickTimeMeta(bytes, rec.size).catch(() => null);
    if (qt) return { meta: qt };
  }
  try {
    const slow = await readExiftoolMeta(exiftool, await bytes.path());
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
  // a HEIF's profile is in its `colr` property (the probe), not in the Exif item exifr reads
  rec.icc = meta.icc ?? probe.icc ?? null;
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

/**
 * Read one file (a path, or a zip member's ItemBytes) into a catalog record. Never throws for a
 * bad file: the reason goes in `error`.
 */
export async function readItem(file: string | ItemBytes, relPath: string, st: FileFacts, exiftool: ExifTool): Promise<ItemRecord> {
  const bytes = typeof file === "string" ? fileBytes(file) : file;
  let probe: Probe;
  let readError: string | null = null;
  let head: Buffer = Buffer.alloc(0);
  try {
    head = st.size === 0 ? head : await readHead(bytes, st.size);
    probe = identify(head, st.size, relPath);
  } catch (err) {
    probe = { format: "unknown" };
    readError = `cannot read: ${reasonOf(err)}`;
  }
  const rec = baseRecord(relPath, st, probe, readError);
  let meta: MediaMeta | null = null;
  if (!rec.error && (rec.kind === "photo" || rec.kind === "raw" || rec.kind === "video")) {
    const r = await readMeta(bytes, rec, probe, head, exiftool);
    meta = r.meta;
    if (r.error) rec.error = r.error;
  }
  if (meta) applyMeta(rec, meta, probe);
  finishRecord(rec, probe, meta, st.mtimeMs);
  return rec;
}
