// Scanning a library folder into the catalog: the walk's entries become item records (read only
// when new or changed) or recorded problems; nothing the walk meets is dropped without a word.
import { realpath, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Catalog, ExifTool, ItemRecord, OnEvent, WalkEntry, WalkProblem } from "@archive/core";
import {
  ArchiveError,
  finishRun,
  forEachLimit,
  forgetDuplicateState,
  isInside,
  itemErrors,
  markMissingItems,
  noEvents,
  reasonOf,
  regroup,
  replaceWalkProblems,
  scannedItem,
  sourceId,
  startRun,
  walkTree,
  writeScanBatch,
} from "@archive/core";
import { applyExportCsvs, type CsvProblem } from "./apple-export.js";
import { readItem } from "./read.js";
import { isZipFile, scanZipInto } from "./zip-scan.js";

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
  /** Where zip members are copied one at a time for reading (the workspace's .archive/tmp). */
  tmpDir?: string;
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
  /** Files that cannot be archived, and what the walk could not read (folders, broken links, vanished files). */
  unreadable: { path: string; reason: string }[];
  /** What the walk skipped on purpose: folder links, FIFOs/devices, names that are not UTF-8. */
  skipped: { path: string; reason: string }[];
  /** System droppings skipped (.DS_Store, ._*, Thumbs.db, @eaDir): counted, never archived. */
  ignored: number;
  csvProblems: CsvProblem[];
  durationMs: number;
}

/** Records and touches waiting for the next catalog transaction (256 at a time). */
interface Pending {
  records: ItemRecord[];
  unchanged: number[];
}

/** One scan in progress. */
interface ScanState {
  options: ScanOptions;
  source: string;
  srcId: number;
  scanId: number;
  result: ScanResult;
  problems: WalkProblem[];
  csvFiles: string[];
  pending: Pending;
  onEvent: OnEvent;
  /** The source's real path, once a link needs it. */
  realSource?: string;
}

/** Walk kinds that are recorded as skipped rather than unreadable. */
const SKIPPED = new Set<WalkProblem["kind"]>(["link", "special", "name"]);

function addProblem(s: ScanState, p: WalkProblem): void {
  s.problems.push(p);
  (SKIPPED.has(p.kind) ? s.result.skipped : s.result.unreadable).push({ path: p.path, reason: p.reason });
}

function flush(s: ScanState): void {
  const batch = s.pending;
  s.pending = { records: [], unchanged: [] };
  // a re-read file is new content: no duplicate group it was in describes it any more (issue 12)
  writeScanBatch(s.options.catalog, s.srcId, s.scanId, batch, (id) => forgetDuplicateState(s.options.catalog, id));
}

/** Follow a symbolic link to a file (a link to a folder is never followed); null after recording why not. */
async function followLink(s: ScanState, e: WalkEntry): Promise<import("node:fs").Stats | null> {
  try {
    const st = await stat(e.abs);
    if (st.isDirectory()) {
      addProblem(s, { path: e.path, kind: "link", reason: "symlinked folder (not followed)" });
      return null;
    }
    // a link out of the library is not part of it: named, never read (the library is what was exported)
    const target = await realpath(e.abs);
    s.realSource ??= await realpath(s.source);
    if (!isInside(s.realSource, target)) {
      addProblem(s, { path: e.path, kind: "link", reason: `symlink to a file outside the library (${target}): not followed` });
      return null;
    }
    return st;
  } catch (err) {
    const loop = (err as NodeJS.ErrnoException).code === "ELOOP";
    addProblem(s, { path: e.path, kind: "broken-link", reason: loop ? "symlink loop" : "dangling symlink" });
  }
  return null;
}

/** A walk entry that is not a file (or a link to one) becomes a recorded problem or a count; returns its stats otherwise. */
async function fileStats(s: ScanState, e: WalkEntry): Promise<import("node:fs").Stats | null> {
  switch (e.kind) {
    case "ignored":
      s.result.ignored++;
      return null;
    case "unreadable":
      addProblem(s, { path: e.path, kind: e.dir ? "unreadable-folder" : "unreadable", reason: e.reason ?? "cannot read" });
      return null;
    case "vanished":
    case "special":
      addProblem(s, { path: e.path, kind: e.kind, reason: e.reason ?? e.kind });
      return null;
    default:
      break;
  }
  if (!e.utf8) {
    addProblem(s, { path: e.path, kind: "name", reason: "the name is not valid UTF-8: rename it so the catalog and manifests can name it faithfully" });
    return null;
  }
  const st = e.kind === "symlink" ? await followLink(s, e) : e.stats ?? null;
  if (st && !st.isFile()) {
    addProblem(s, { path: e.path, kind: "special", reason: "not a regular file" });
    return null;
  }
  return st;
}

/** One walk entry: count it, and read it unless the catalog already has it unchanged. */
async function scanEntry(s: ScanState, e: WalkEntry): Promise<void> {
  const st = await fileStats(s, e);
  if (!st) return;
  // a zip (an Apple export part) is read in place: its members become the items
  if (await isZipFile(join(s.source, e.path)).catch(() => false)) return scanZip(s, join(s.source, e.path), e.path);
  const { result } = s;
  const rel = e.path;
  result.files++;
  result.bytes += st.size;
  if (/\.csv$/i.test(rel)) s.csvFiles.push(rel);
  const prev = scannedItem(s.options.catalog, s.srcId, rel);
  if (prev && prev.size === st.size && prev.mtime_ms === Math.round(st.mtimeMs) && (prev.ino ?? st.ino) === st.ino) {
    result.unchanged++;
    s.pending.unchanged.push(prev.id);
  } else {
    // read first, then push: `s.pending` may be a new batch by the time the read ends (8 reads
    // run at once and any of them may flush); pushing into the old one lost the record
    const record = await readItem(join(s.source, rel), rel, st, s.options.exiftool);
    s.pending.records.push(record);
    result.read++;
  }
  if (s.pending.records.length + s.pending.unchanged.length >= 256) flush(s);
  if (result.files % 50 === 0) s.onEvent({ kind: "progress", stage: "scan", done: result.files, bytes: result.bytes });
}

/** The source folder, resolved; refuses one that is missing or not a folder. */
async function checkSource(source: string): Promise<string> {
  const abs = resolve(source);
  let st;
  try {
    st = await stat(abs);
  } catch (err) {
    throw new ArchiveError("E_SOURCE_MISSING", `the library folder ${abs} cannot be read: ${reasonOf(err)}`, { cause: err });
  }
  if (!st.isDirectory() && !(st.isFile() && (await isZipFile(abs).catch(() => false)))) {
    throw new ArchiveError("E_SOURCE_MISSING", `${abs} is neither a folder nor a zip file`);
  }
  return abs;
}

/** A zip part: its members are scanned in place into this scan's run (issue 10). */
function scanZip(s: ScanState, abs: string, prefix: string): Promise<void> {
  const o = s.options;
  const host = { catalog: o.catalog, sourceId: s.srcId, scanRun: s.scanId, exiftool: o.exiftool, tmpDir: o.tmpDir, signal: o.signal, result: s.result };
  return scanZipInto({ ...host, problem: (path, reason) => addProblem(s, { path, kind: "unreadable", reason }) }, abs, prefix);
}

function newResult(source: string, srcId: number): ScanResult {
  return { source, sourceId: srcId, files: 0, bytes: 0, read: 0, unchanged: 0, missing: 0, unreadable: [], skipped: [], ignored: 0, csvProblems: [], durationMs: 0 };
}

/** After the walk: missing files, Apple's CSVs, groups, the recorded problems, and the run record. */
async function finishScan(s: ScanState, started: number): Promise<ScanResult> {
  const { catalog } = s.options;
  const { result } = s;
  // Files gone from the source since the last scan stay in the catalog, marked missing.
  result.missing = markMissingItems(catalog, s.srcId, s.scanId);
  result.csvProblems = await applyExportCsvs(catalog, s.srcId, s.source, s.csvFiles);
  regroup(catalog);
  replaceWalkProblems(catalog, s.srcId, s.scanId, s.problems);
  for (const row of itemErrors(catalog, s.srcId)) result.unreadable.push(row);
  result.unreadable.sort((a, b) => a.path.localeCompare(b.path));
  result.skipped.sort((a, b) => a.path.localeCompare(b.path));
  result.durationMs = Date.now() - started;
  finishRun(catalog, s.scanId, "scan", "ok", {
    source: s.source, files: result.files, read: result.read, unchanged: result.unchanged, missing: result.missing,
    unreadable: result.unreadable.length, skipped: result.skipped.length, ignored: result.ignored,
  });
  return result;
}

/**
 * Scan a library folder into the catalog. Incremental: a file whose size, mtime and inode are
 * unchanged since the last scan is not opened again. Streams the walk and writes in batches, so
 * memory stays flat however large the library is. What the walk cannot catalog (unreadable
 * folders, links, FIFOs/devices, vanished entries, non-UTF-8 names) is recorded in the catalog
 * as a problem (`listUnresolved`) until a later scan no longer meets it or the user accepts it.
 */
export async function scanLibrary(options: ScanOptions): Promise<ScanResult> {
  const started = Date.now();
  const source = await checkSource(options.source);
  const { catalog } = options;
  const srcId = sourceId(catalog, source);
  const scanId = startRun(catalog, "scan");
  const onEvent = options.onEvent ?? noEvents;
  const s: ScanState = {
    options, source, srcId, scanId, onEvent, result: newResult(source, srcId), problems: [], csvFiles: [], pending: { records: [], unchanged: [] },
  };
  onEvent({ kind: "stage", stage: "scan" });
  if ((await stat(source)).isFile()) await scanZip(s, source, "");
  else {
    const walk = walkTree(source, options.signal ? { signal: options.signal } : {});
    await forEachLimit(walk, options.concurrency ?? 8, (e) => scanEntry(s, e), options.signal);
  }
  flush(s);
  // an interrupted walk saw only part of the library: what it read is kept, but nothing it did
  // not reach may be marked missing, and no recorded problem may be forgotten
  if (options.signal?.aborted) throw new ArchiveError("E_ABORTED", "the scan was interrupted; what it read is kept (plan again to finish)");
  onEvent({ kind: "progress", stage: "scan", done: s.result.files, total: s.result.files, bytes: s.result.bytes });
  return finishScan(s, started);
}
