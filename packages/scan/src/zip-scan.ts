// Zip parts scanned in place (issue 10): members are listed from the central directory and each
// one is read once, CRC-checked and hashed (SHA-256) on the way: a small member whole in memory,
// a larger stored one at its offsets in the zip, a larger deflated one through a temp copy. A temp
// copy is also made when exiftool needs a file (RAW, odd videos), so the extra disk is at most one
// member per reader at a time. A nested `iCloud Shared Albums*.zip` is read through (stored: in place).
import { createHash } from "node:crypto";
import { open, mkdir, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { extname, join } from "node:path";
import type { Catalog, ExifTool, ItemRecord, ZipMember } from "@archive/core";
import { HashPool, WorkerError, forEachLimit, looksLikeZip, reasonOf, recordContentHash, removeDeadProcessFiles, scannedItem, setItemLocation, writeScanBatch, ZipPart } from "@archive/core";
import { memoryBytes, readItem, type ItemBytes } from "./read.js";

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
  removeDeadProcessFiles(o.tmpDir); // member copies a killed plan left behind
  let part: ZipPart;
  try {
    part = await ZipPart.open(o.zip);
  } catch (err) {
    o.onProblem(o.prefix || o.zip, reasonOf(err));
    return counts;
  }
  // members are hashed (and small deflated ones inflated) on worker threads while this thread reads metadata
  const pool = new HashPool(HASH_THREADS);
  try {
    await scanMembers({ ...o, pool }, part, null, counts);
  } finally {
    await pool.close();
    await part.close();
  }
  return counts;
}

/**
 * Hash workers: one beside this thread on 2 cores (measured: 1.17x the folder plan's time with
 * one, 1.29x with two, which compete with this thread and exiftool), one more from 4 cores.
 */
const HASH_THREADS = Math.max(1, Math.min(2, availableParallelism() - 2));

/** A scan in progress: the options and the hash workers. */
interface Scan extends ZipScanOptions {
  pool: HashPool;
}

async function scanMembers(o: Scan, part: ZipPart, nested: string | null, counts: ZipScanCounts): Promise<void> {
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

/** One member: its catalogued id when unchanged, else its record and SHA-256. */
async function scanMember(
  o: Scan,
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
  let copied = false;
  // exiftool needs a file: the member is copied to `tmp` only when it is asked for (RAW, odd videos)
  const copy = (write: () => Promise<unknown>) => async () => {
    if (!copied) {
      copied = true; // a failed write may leave part of the file: deleted all the same
      await write();
    }
    return tmp;
  };
  let r: { rec: ItemRecord; sha256: string | null };
  try {
    r = await readMember(o, part, m, rel, tmp, copy);
  } finally {
    // (only when written: rm of a missing file cost ~1 ms a member in lstat calls, measured)
    if (copied) await rm(tmp, { force: true });
  }
  r.rec.dev = null;
  r.rec.ino = null;
  counts.read++;
  return { rec: r.rec, loc: { rel, container: o.zip, nested: at.nested, member: m.path, sha256: r.sha256 } };
}

/** A member up to this size is read whole into memory (inflated, CRC-checked, hashed) ... */
const IN_MEMORY_MAX = 32 * 1024 * 1024;
/** A member this small is read whole and hashed on this thread (a worker's message cost more; readItem reads as much). */
const SMALL = 256 * 1024;
/** ... while the members held at once stay under this many bytes (else: in place, or a temp copy). */
const memory = { free: 96 * 1024 * 1024 };

/**
 * A member's record and SHA-256, every byte CRC-checked, by the cheapest route measured
 * (docs/benchmarks-zip.md): a stored member in place (hashed on a worker while its metadata is
 * read at offsets in the zip, as from a file); a small deflated one inflated whole on a worker
 * and read from memory; a larger deflated one through a temp copy. A damaged member is
 * catalogued unreadable with the reason.
 */
async function readMember(
  o: Scan,
  part: ZipPart,
  m: ZipMember,
  rel: string,
  tmp: string,
  copy: (write: () => Promise<unknown>) => () => Promise<string>,
): Promise<{ rec: ItemRecord; sha256: string | null }> {
  const facts = { size: m.size, mtimeMs: m.mtimeMs, dev: 0, ino: 0 };
  const held = m.size + m.compressedSize;
  if ((m.method === "deflated" && m.size <= IN_MEMORY_MAX && held <= memory.free) || m.size <= SMALL) {
    memory.free -= held;
    try {
      // damaged: the temp-copy route below says why
      const got = await (m.size <= SMALL ? digestHere(part, m) : digest(o.pool, part, m, true)).catch(() => null);
      if (got?.bytes) {
        const bytes = memoryBytes(got.bytes, copy(() => writeFile(tmp, got.bytes!, { flag: "wx" })));
        return { rec: await readItem(bytes, rel, facts, o.exiftool), sha256: got.sha256 };
      }
    } finally {
      memory.free += held;
    }
  } else if (m.method === "stored") {
    // hashed on a worker while readItem reads the head, the Exif item or the `moov` at their offsets in the zip
    const hashing = digest(o.pool, part, m, false).then(
      (r) => ({ sha256: r.sha256, failure: null }),
      (err: unknown) => ({ sha256: null, failure: `cannot read from the zip: ${reasonOf(err)}` }),
    );
    // a copy for exiftool: written from one read (the worker checks the CRC); a big one streamed
    const write = () => (m.size <= IN_MEMORY_MAX ? part.readStored(m, 0, m.size).then((b) => writeFile(tmp, b, { flag: "wx" })) : part.extractTo(m, tmp));
    const rec = await readItem(inPlaceBytes(part, m, copy(write)), rel, facts, o.exiftool);
    const h = await hashing;
    if (h.failure) rec.error = h.failure;
    return { rec, sha256: h.sha256 };
  }
  let failure: string | null = null;
  let sha256: string | null = null;
  const copied = copy(() =>
    part.extractTo(m, tmp).then(
      (r) => (sha256 = r.sha256),
      (err: unknown) => (failure = `cannot read from the zip: ${reasonOf(err)}`),
    ),
  );
  await copied();
  const rec = await readItem(tmp, rel, facts, o.exiftool);
  if (failure) rec.error = failure;
  return { rec, sha256 };
}

/**
 * A member's SHA-256 (and its bytes when `keep`), every byte CRC-checked, on a hash worker; on
 * this thread when the pool cannot answer (a worker that could not start or crashed).
 */
async function digest(pool: HashPool, part: ZipPart, m: ZipMember, keep: boolean): Promise<{ sha256: string; bytes: Buffer | null }> {
  const { file, start } = await part.dataRange(m);
  const range = { file, start, compressedSize: m.compressedSize, size: m.size, crc32: m.crc32, deflated: m.method === "deflated", keep, name: m.path };
  try {
    return await pool.member(range);
  } catch (err) {
    if (!(err instanceof WorkerError)) throw err;
  }
  return keep ? digestHere(part, m) : { sha256: await part.sha256(m), bytes: null };
}

/** A small member's bytes and SHA-256 on this thread: readItem reads that much as the head anyway. */
async function digestHere(part: ZipPart, m: ZipMember): Promise<{ sha256: string; bytes: Buffer }> {
  const bytes = await part.read(m);
  return { sha256: createHash("sha256").update(bytes).digest("hex"), bytes };
}

/** A stored member read at offsets in the zip; exifr gets the bytes (up to IN_MEMORY_MAX) or the copy. */
function inPlaceBytes(part: ZipPart, m: ZipMember, path: () => Promise<string>): ItemBytes {
  return {
    path,
    read: (offset, length) => part.readStored(m, offset, length),
    whole: () => (m.size <= IN_MEMORY_MAX ? part.readStored(m, 0, m.size) : path()),
  };
}

/** A zip inside the part (Apple's shared albums): its members are scanned through it. */
async function scanNested(o: Scan, part: ZipPart, m: ZipMember, counts: ZipScanCounts): Promise<void> {
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
