import { open, stat } from "node:fs/promises";
import { join, posix, resolve } from "node:path";
import type { Catalog, CaptureTime, CaptureSource, ExifTool, Format, OnEvent } from "@archive/core";
import {
  ArchiveError,
  captureFromUtc,
  forEachLimit,
  kindOfFormat,
  noEvents,
  photoNeedsConversion,
  reasonOf,
  videoNeedsConversion, startRun, finishRun, sourceId } from "@archive/core";
import { identify, type Probe } from "./magic.js";
import { walkTree } from "./walk.js";
import { captureFromName, readExiftoolMeta, readImageMeta, tiffFromHeifExif, type MediaMeta } from "./metadata.js";
import { baseStem } from "./names.js";
import { readQuickTimeMeta } from "./quicktime.js";
import { applyExportCsvs, type CsvProblem } from "./apple-export.js";
import { regroup } from "./group.js";


export interface ScanOptions {
  /** The library folder; read, never written. */
  source: string;
  catalog: Catalog;
  /** The caller's ExifTool (videos, RAW, and images the fast reader cannot parse). */
  exiftool: ExifTool;
  onEvent?: OnEvent;
  signal?: AbortSignal;
  /** Files read at once (default 8: metadata reading waits on disk and exiftool). */
  concurrency?: number;
}

export interface ScanResult {
  source: string;
  sourceId: number;
  files: number;
  bytes: number;
  /** Files whose metadata was (re-)read this time; the rest were unchanged since the last scan. */
  read: number;
  unchanged: number;
  /** Files catalogued earlier that are gone from the source now (kept, marked missing). */
  missing: number;
  unreadable: { path: string; reason: string }[];
  skipped: { path: string; reason: string }[];
  csvProblems: CsvProblem[];
  durationMs: number;
}

interface Existing {
  id: number;
  size: number;
  mtime_ms: number;
  ino: number | null;
}

const HEAD_BYTES = 256 * 1024;
const MEDIA_EXT = /\.(heic|heif|hif|avif|jpe?g|png|gif|tiff?|dng|webp|mov|mp4|m4v|3gp)$/i;

async function readHead(path: string, size: number): Promise<Buffer> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(Math.min(HEAD_BYTES, size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    let head = buf.subarray(0, bytesRead);
    // A HEIF whose meta box is larger than the first read (rare): read the whole meta box.
    if (head.length >= 16 && head.toString("latin1", 4, 8) === "ftyp") {
      const ftyp = head.readUInt32BE(0);
      if (ftyp + 8 <= head.length && head.toString("latin1", ftyp + 4, ftyp + 8) === "meta") {
        const need = ftyp + head.readUInt32BE(ftyp);
        if (need > head.length && need <= Math.min(size, 64 * 1024 * 1024)) {
          const big = Buffer.alloc(need);
          const r = await fh.read(big, 0, need, 0);
          head = big.subarray(0, r.bytesRead);
        }
      }
    }
    return head;
  } finally {
    await fh.close();
  }
}

/** The record written for one file. */
export interface ItemRecord {
  rel_path: string;
  name: string;
  dir: string;
  base_stem: string;
  variant: string;
  size: number;
  mtime_ms: number;
  dev: number | null;
  ino: number | null;
  format: Format;
  kind: string;
  capture_local: string | null;
  capture_offset: string | null;
  capture_utc_ms: number | null;
  capture_year: number | null;
  capture_month: number | null;
  capture_source: CaptureSource | null;
  gps_lat: number | null;
  gps_lon: number | null;
  make: string | null;
  model: string | null;
  lens: string | null;
  width: number | null;
  height: number | null;
  orientation: number | null;
  rotation: number | null;
  duration: number | null;
  codec: string | null;
  bit_depth: number | null;
  hdr: string | null;
  icc: string | null;
  content_id: string | null;
  burst_id: string | null;
  needs_conversion: number;
  error: string | null;
}

/** Displayed size: HEIF `irot` wins when present; otherwise EXIF orientation 5-8 swaps. */
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

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Read one file into a catalog record. Never throws for a bad file: the reason goes in `error`. */
export async function readItem(
  absPath: string,
  relPath: string,
  st: { size: number; mtimeMs: number; dev: number; ino: number },
  exiftool: ExifTool,
): Promise<ItemRecord> {
  let probe: Probe;
  let error: string | null = null;
  let head: Buffer = Buffer.alloc(0);
  try {
    head = st.size === 0 ? head : await readHead(absPath, st.size);
    probe = identify(head, st.size, relPath);
  } catch (err) {
    probe = { format: "unknown" };
    error = `cannot read: ${reasonOf(err)}`;
  }
  const kind = kindOfFormat(probe.format);
  const names = baseStem(relPath, kind === "sidecar");
  const rec: ItemRecord = {
    rel_path: relPath,
    name: posix.basename(relPath).normalize("NFC"),
    dir: names.dir,
    base_stem: names.stem,
    variant: names.variant,
    size: st.size,
    mtime_ms: Math.round(st.mtimeMs),
    dev: st.dev,
    ino: st.ino,
    format: probe.format,
    kind,
    capture_local: null,
    capture_offset: null,
    capture_utc_ms: null,
    capture_year: null,
    capture_month: null,
    capture_source: null,
    gps_lat: null,
    gps_lon: null,
    make: null,
    model: null,
    lens: null,
    width: null,
    height: null,
    orientation: null,
    rotation: null,
    duration: null,
    codec: null,
    bit_depth: null,
    hdr: probe.hasGainMap ? "gainmap" : null,
    icc: null,
    content_id: null,
    burst_id: null,
    needs_conversion: 0,
    error: error ?? (kind === "photo" || kind === "video" || kind === "raw" || probe.format === "empty" ? probe.problem ?? null : null),
  };
  if (!rec.error && probe.format === "unknown" && MEDIA_EXT.test(relPath)) {
    rec.error = "not a photo or video: the content matches no known format (the extension says otherwise)";
  }
  let meta: MediaMeta | null = null;
  if (!rec.error && (kind === "photo" || kind === "raw" || kind === "video")) {
    // the fast reader (exifr) first for photos; what it read stays as the fallback
    let fast: MediaMeta | null = null;
    if (kind === "photo" && probe.format !== "gif" && probe.format !== "webp") {
      // HEIF: the Exif item located by our own box walk (exifr's HEIF reader misses some
      // layouts, e.g. libheif's iloc base offsets); everything else: exifr on the file
      const tiff = probe.exif ? await readHeifExif(absPath, probe.exif, head).catch(() => null) : null;
      // JPEG: EXIF sits in the first segments, which the head already holds (no second open)
      const src = tiff ?? (probe.format === "jpeg" ? head : absPath);
      fast = await readImageMeta(src).catch(() => null);
      if (!fast?.capture && src === head && head.length < st.size) fast = await readImageMeta(absPath).catch(() => null);
      if (fast?.capture) meta = fast;
    }
    // QuickTime/MP4: our own moov parser (keys, mvhd, tkhd, stsd); exiftool when it gives up
    if (kind === "video") meta = await readQuickTimeMeta(absPath, st.size).catch(() => null);
    // exiftool reads what the fast parsers cannot: RAW, videos we do not understand, and
    // images whose date they did not find (XMP in HEIF, odd layouts)
    if (!meta) {
      try {
        const slow = await readExiftoolMeta(exiftool, absPath);
        if (fast && !slow.capture) {
          meta = { ...slow, ...definedOnly(fast) };
          const modified = slow.modified ?? fast.modified;
          if (modified) meta.modified = modified;
        } else meta = slow;
      } catch (err) {
        if (kind === "video") rec.error = `unreadable video: ${reasonOf(err)}`;
        else meta = fast;
      }
    }
  }
  if (meta) {
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
    rec.codec = meta.codec ?? (kind === "photo" ? probe.format : null);
    rec.bit_depth = meta.bitDepth ?? null;
    rec.hdr = meta.hdr ?? rec.hdr;
    rec.icc = meta.icc ?? null;
    rec.content_id = meta.contentId ?? null;
    rec.burst_id = meta.burstId ?? null;
    if (kind === "video" && (!meta.duration || meta.duration <= 0) && !meta.codec) {
      rec.error = "unreadable video: no playable track found";
    }
  }
  const size = displayedSize(probe, meta);
  rec.width = size.width;
  rec.height = size.height;
  if (!rec.capture_local) {
    const fromName = captureFromName(relPath);
    if (fromName) setCapture(rec, fromName, "filename");
    else setCapture(rec, captureFromUtc(Math.round(st.mtimeMs), null), "mtime");
  }
  if (!rec.error) {
    if (kind === "photo") rec.needs_conversion = photoNeedsConversion(probe.format) ? 1 : 0;
    if (kind === "video") rec.needs_conversion = videoNeedsConversion(rec.codec, rec.bit_depth) || rec.hdr ? 1 : 0;
  }
  return rec;
}

const COLUMNS = [
  "rel_path", "name", "dir", "base_stem", "variant", "size", "mtime_ms", "dev", "ino", "format", "kind",
  "capture_local", "capture_offset", "capture_utc_ms", "capture_year", "capture_month", "capture_source",
  "gps_lat", "gps_lon", "make", "model", "lens", "width", "height", "orientation", "rotation",
  "duration", "codec", "bit_depth", "hdr", "icc", "content_id", "burst_id", "needs_conversion", "error",
] as const;

/**
 * Scan a library folder into the catalog. Incremental: a file whose size, mtime and inode are
 * unchanged since the last scan is not opened again. Streams the walk and writes in batches, so
 * memory stays flat however large the library is.
 */
export async function scanLibrary(options: ScanOptions): Promise<ScanResult> {
  const started = Date.now();
  const source = resolve(options.source);
  const onEvent = options.onEvent ?? noEvents;
  let rootStat;
  try {
    rootStat = await stat(source);
  } catch (err) {
    throw new ArchiveError("E_SOURCE_MISSING", `the library folder ${source} cannot be read: ${reasonOf(err)}`, { cause: err });
  }
  if (!rootStat.isDirectory()) throw new ArchiveError("E_SOURCE_MISSING", `${source} is not a folder`);

  const { catalog } = options;
  const db = catalog.db;
  const srcId = sourceId(catalog, source);
  const scanId = startRun(catalog, "scan");
  const findExisting = db.prepare("SELECT id, size, mtime_ms, ino FROM items WHERE source_id = ? AND rel_path = ?");
  const touch = db.prepare("UPDATE items SET last_seen_scan = ?, missing = 0 WHERE id = ?");
  const upsert = db.prepare(
    `INSERT INTO items (source_id, ${COLUMNS.join(", ")}, scanned_at, last_seen_scan, missing, sha256)
     VALUES (@source_id, ${COLUMNS.map((c) => "@" + c).join(", ")}, @scanned_at, @last_seen_scan, 0, NULL)
     ON CONFLICT (source_id, rel_path) DO UPDATE SET
     ${COLUMNS.filter((c) => c !== "rel_path").map((c) => `${c} = excluded.${c}`).join(", ")},
     scanned_at = excluded.scanned_at, last_seen_scan = excluded.last_seen_scan, missing = 0, sha256 = NULL`,
  );
  const result: ScanResult = {
    source,
    sourceId: srcId,
    files: 0,
    bytes: 0,
    read: 0,
    unchanged: 0,
    missing: 0,
    unreadable: [],
    skipped: [],
    csvProblems: [],
    durationMs: 0,
  };
  const csvFiles: string[] = [];
  let pending: ItemRecord[] = [];
  let pendingTouch: number[] = [];
  const flush = () => {
    if (!pending.length && !pendingTouch.length) return;
    const now = new Date().toISOString();
    const recs = pending;
    const touches = pendingTouch;
    pending = [];
    pendingTouch = [];
    catalog.tx(() => {
      for (const r of recs) upsert.run({ ...r, source_id: srcId, scanned_at: now, last_seen_scan: scanId });
      for (const id of touches) touch.run(scanId, id);
    });
  };

  onEvent({ kind: "stage", stage: "scan" });
  const files = walkTree(source, (rel, err) => {
    result.unreadable.push({ path: rel || ".", reason: `cannot read: ${reasonOf(err)}` });
  });

  await forEachLimit(
    files,
    options.concurrency ?? 8,
    async (e) => {
      const rel = e.path;
      const abs = join(source, rel);
      let st = e.stats;
      if (e.dirent.isSymbolicLink()) {
        try {
          st = await stat(abs); // follow a link to a file; a link to a folder is never followed
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          result.unreadable.push({ path: rel, reason: code === "ELOOP" ? "symlink loop" : "dangling symlink" });
          return;
        }
        if (st.isDirectory()) {
          result.skipped.push({ path: rel, reason: "symlinked folder (not followed)" });
          return;
        }
      }
      if (!st || !st.isFile()) {
        if (st && !st.isFile()) result.skipped.push({ path: rel, reason: "not a regular file" });
        return;
      }
      result.files++;
      result.bytes += st.size;
      if (/\.csv$/i.test(rel)) csvFiles.push(rel);
      const prev = findExisting.get(srcId, rel) as Existing | undefined;
      if (prev && prev.size === st.size && prev.mtime_ms === Math.round(st.mtimeMs) && (prev.ino ?? st.ino) === st.ino) {
        result.unchanged++;
        pendingTouch.push(prev.id);
      } else {
        const rec = await readItem(abs, rel, st, options.exiftool);
        result.read++;
        pending.push(rec);
      }
      if (pending.length + pendingTouch.length >= 256) flush();
      const done = result.files;
      if (done % 50 === 0) onEvent({ kind: "progress", stage: "scan", done, bytes: result.bytes });
    },
    options.signal,
  );
  flush();
  onEvent({ kind: "progress", stage: "scan", done: result.files, total: result.files, bytes: result.bytes });

  // Files gone from the source since the last scan stay in the catalog, marked missing.
  result.missing = db
    .prepare("UPDATE items SET missing = 1 WHERE source_id = ? AND (last_seen_scan IS NULL OR last_seen_scan <> ?) AND missing = 0")
    .run(srcId, scanId).changes;

  result.csvProblems = await applyExportCsvs(catalog, srcId, source, csvFiles);
  regroup(catalog);
  for (const row of catalog.iterate<{ rel_path: string; error: string }>(
    "SELECT rel_path, error FROM items WHERE source_id = ? AND error IS NOT NULL AND missing = 0 ORDER BY rel_path",
    srcId,
  )) {
    result.unreadable.push({ path: row.rel_path, reason: row.error });
  }
  result.unreadable.sort((a, b) => a.path.localeCompare(b.path));
  result.durationMs = Date.now() - started;
  finishRun(catalog, scanId, "scan", "ok", {
    source,
    files: result.files,
    read: result.read,
    unchanged: result.unchanged,
    missing: result.missing,
    unreadable: result.unreadable.length,
  });
  return result;
}
