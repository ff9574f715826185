// Zip parts scanned in place (issue 10): members are listed from the central directory and each
// one is read through a temp copy of that one member (metadata readers and exiftool need a file;
// the copy is CRC-checked and hashed on the way, then deleted), so the extra disk is one member
// per reader at a time. A nested `iCloud Shared Albums*.zip` is read through (stored: in place).
import { open, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import type { Catalog, ExifTool, ItemRecord, ZipMember } from "@archive/core";
import { forEachLimit, looksLikeZip, reasonOf, recordContentHash, scannedItem, setItemLocation, writeScanBatch, ZipPart } from "@archive/core";
import { readItem } from "./read.js";

/** What scanning one zip needs from the scan in progress. */
export interface ZipScanOptions {
  catalog: Catalog;
  sourceId: number;
  scanRun: number;
  exiftool: ExifTool;
  /** The zip file (absolute). */
  zip: string;
  /** The zip's path inside the source root ("" when the source is the zip itself). */
  prefix: string;
  /** Where one member at a time is copied for reading (the workspace's .archive/tmp). */
  tmpDir: string;
  concurrency?: number;
  signal?: AbortSignal;
  /** Called inside the write transaction for every item whose content was re-read. */
  onChanged?: (itemId: number) => void;
  /** A part that cannot be opened, a member refused or unreadable: path and reason. */
  onProblem: (path: string, reason: string) => void;
  onProgress?: (files: number, bytes: number) => void;
}

/** Counts of one zip's scan, in the folder scan's terms. */
export interface ZipScanCounts {
  files: number;
  bytes: number;
  read: number;
  unchanged: number;
}

/** True when a file's name and first bytes say zip. */
export async function isZipFile(abs: string): Promise<boolean> {
  if (!/\.zip$/i.test(abs)) return false;
  const fh = await open(abs, "r");
  try {
    const head = Buffer.alloc(4);
    await fh.read(head, 0, 4, 0);
    return looksLikeZip(head);
  } finally {
    await fh.close();
  }
}

interface Batch {
  records: ItemRecord[];
  locations: { rel: string; container: string; nested: string | null; member: string; sha256: string | null }[];
  unchanged: number[];
}

let tmpCounter = 0;
const join2 = (a: string, b: string) => (a ? `${a}/${b}` : b);

/**
 * Scan one zip part into the catalog: every member becomes an item whose rel_path is the zip's
 * path in the source followed by the member path, with its zip location recorded. Incremental:
 * a member with the size and timestamp already catalogued is not read again. Never throws for a
 * bad part or member: they are reported through `onProblem` and the rest is scanned.
 */
export async function scanZipPart(o: ZipScanOptions): Promise<ZipScanCounts> {
  const counts: ZipScanCounts = { files: 0, bytes: 0, read: 0, unchanged: 0 };
  await mkdir(o.tmpDir, { recursive: true });
  let part: ZipPart;
  try {
    part = await ZipPart.open(o.zip);
  } catch (err) {
    o.onProblem(o.prefix || o.zip, reasonOf(err));
    return counts;
  }
  try {
    await scanMembers(o, part, null, counts);
  } finally {
    await part.close();
  }
  return counts;
}

async function scanMembers(o: ZipScanOptions, part: ZipPart, nested: string | null, counts: ZipScanCounts): Promise<void> {
  let batch: Batch = { records: [], locations: [], unchanged: [] };
  const flush = () => {
    const b = batch;
    batch = { records: [], locations: [], unchanged: [] };
    writeScanBatch(o.catalog, o.sourceId, o.scanRun, b, o.onChanged);
    o.catalog.tx(() => {
      for (const l of b.locations) {
        setItemLocation(o.catalog, o.sourceId, l.rel, { container: l.container, nested: l.nested, member: l.member });
        // hashed on the way to the temp copy: dedupe and "already archived" never re-read the member
        const item = l.sha256 === null ? undefined : scannedItem(o.catalog, o.sourceId, l.rel);
        if (item && l.sha256) recordContentHash(o.catalog, item.id, l.sha256, item.size, item.mtime_ms);
      }
    });
  };
  const base = nested === null ? o.prefix : join2(o.prefix, nested);
  const nestedZips: ZipMember[] = [];
  await forEachLimit(
    part.members(),
    o.concurrency ?? 8, // as the folder scan: reading waits on disk and exiftool
    async (m) => {
      if ("reason" in m) return o.onProblem(join2(base, m.path) || o.zip, m.reason);
      if (nested === null && /\.zip$/i.test(m.path) && looksLikeZip(await part.head(m, 4))) {
        nestedZips.push(m);
        return;
      }
      const got = await scanMember(o, part, m, { base, nested }, counts);
      if (typeof got === "number") batch.unchanged.push(got);
      else {
        batch.records.push(got.rec);
        batch.locations.push(got.loc);
      }
      if (batch.records.length + batch.unchanged.length >= 256) flush();
      if (counts.files % 50 === 0) o.onProgress?.(counts.files, counts.bytes);
    },
    o.signal,
  );
  flush();
  for (const m of nestedZips) await scanNested(o, part, m, counts);
}

/** One member: its catalogued id when unchanged, else its record read through a temp copy. */
async function scanMember(
  o: ZipScanOptions,
  part: ZipPart,
  m: ZipMember,
  at: { base: string; nested: string | null },
  counts: ZipScanCounts,
): Promise<number | { rec: ItemRecord; loc: Batch["locations"][number] }> {
  const rel = join2(at.base, m.path);
  counts.files++;
  counts.bytes += m.size;
  const prev = scannedItem(o.catalog, o.sourceId, rel);
  if (prev && prev.size === m.size && prev.mtime_ms === Math.round(m.mtimeMs)) {
    counts.unchanged++;
    return prev.id;
  }
  const tmp = join(o.tmpDir, `member-${process.pid}-${++tmpCounter}${extname(m.path).slice(0, 16)}`);
  let failure: string | null = null;
  let sha256: string | null = null;
  let rec: ItemRecord;
  try {
    // a damaged member (CRC or size mismatch, truncated data) is catalogued unreadable with the reason
    await part.extractTo(m, tmp).then(
      (r) => (sha256 = r.sha256),
      (err: unknown) => (failure = `cannot read from the zip: ${reasonOf(err)}`),
    );
    rec = await readItem(tmp, rel, { size: m.size, mtimeMs: m.mtimeMs, dev: 0, ino: 0 }, o.exiftool);
  } finally {
    await rm(tmp, { force: true });
  }
  if (failure) rec.error = failure;
  rec.dev = null;
  rec.ino = null;
  counts.read++;
  return { rec, loc: { rel, container: o.zip, nested: at.nested, member: m.path, sha256 } };
}

/** A zip inside the part (Apple's shared albums): its members are scanned through it. */
async function scanNested(o: ZipScanOptions, part: ZipPart, m: ZipMember, counts: ZipScanCounts): Promise<void> {
  const tmp = join(o.tmpDir, `nested-${process.pid}-${++tmpCounter}.zip`);
  let inner: ZipPart;
  try {
    inner = await part.openNested(m, o.zip, tmp);
  } catch (err) {
    o.onProblem(join2(o.prefix, m.path), reasonOf(err));
    return;
  }
  try {
    await scanMembers(o, inner, m.path, counts);
  } finally {
    await inner.close();
  }
}

/** What the folder scan lends a zip it meets (or is given as its source). */
export interface ZipScanHost {
  catalog: Catalog;
  sourceId: number;
  scanRun: number;
  exiftool: ExifTool;
  /** Default: a folder in the OS temp folder (the CLI passes the workspace's .archive/tmp). */
  tmpDir?: string | undefined;
  signal?: AbortSignal | undefined;
  onChanged?: (itemId: number) => void;
  result: ZipScanCounts;
  problem(path: string, reason: string): void;
}

/** Scan the zip `abs` (at `prefix` in the source) into the folder scan's run and counts. */
export async function scanZipInto(h: ZipScanHost, abs: string, prefix: string): Promise<void> {
  const o: ZipScanOptions = {
    catalog: h.catalog,
    sourceId: h.sourceId,
    scanRun: h.scanRun,
    exiftool: h.exiftool,
    zip: abs,
    prefix,
    tmpDir: h.tmpDir ?? join(tmpdir(), `archive-zip-${process.pid}`),
    onProblem: (path, reason) => h.problem(path, reason),
  };
  if (h.signal) o.signal = h.signal;
  if (h.onChanged) o.onChanged = h.onChanged;
  const c = await scanZipPart(o);
  h.result.files += c.files;
  h.result.bytes += c.bytes;
  h.result.read += c.read;
  h.result.unchanged += c.unchanged;
}
