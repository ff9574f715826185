// `archive protect`: PAR2 recovery sets per batch (capture year), incremental: files already in a
// set with the bytes the manifest lists are never protected again, so existing sets are never rebuilt.
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  addProtectionSet,
  ArchiveError,
  HashCache,
  HashPool,
  noEvents,
  outputYears,
  protectedFiles,
  protectionSets,
  reasonOf,
  removeProtectionSet,
  TEMP_MARKER,
  type Catalog,
  type OnEvent,
  type ProtectedFile,
} from "@archive/core";
import type { Failure } from "../report.js";
import { PROTECTION_DIR } from "./layout.js";
import { loadManifest } from "./manifests.js";
import { blockSizeFor, par2Create } from "./par2.js";

export interface ProtectOptions {
  workspace: string;
  catalog: Catalog;
  /** Recovery data as a percent of the protected bytes (default 10). */
  redundancy?: number;
  /** At most this many files per set (default 1000). */
  maxFiles?: number;
  /** About this many bytes per set at most (default 2 GB). */
  maxBytes?: number;
  onEvent?: OnEvent;
  signal?: AbortSignal;
}

/** One set written this run. */
export interface NewSet {
  par2: string;
  batch: string;
  files: number;
  bytes: number;
}

export interface ProtectResult {
  ok: boolean;
  /** Sets written this run (existing sets are never rebuilt). */
  created: NewSet[];
  /** Sets that already existed and were kept as they are. */
  existingSets: number;
  /** Manifest files protected after this run / in the manifest. */
  protectedFiles: number;
  manifestFiles: number;
  /** Files not protected this run, with why (e.g. their bytes no longer match the manifest). */
  skipped: Failure[];
  notes: string[];
  durationMs: number;
}

/** Write PAR2 recovery sets for every manifest file no set protects yet. */
export async function protect(o: ProtectOptions): Promise<ProtectResult> {
  const started = Date.now();
  const onEvent = o.onEvent ?? noEvents;
  const redundancy = o.redundancy ?? 10;
  if (!(Number.isInteger(redundancy) && redundancy >= 1 && redundancy <= 100)) throw new ArchiveError("E_USAGE", `--redundancy: expected 1% to 100%, got ${redundancy}`);
  const manifest = await loadManifest(o.workspace);
  const notes = await dropVanishedSets(o.workspace, o.catalog);
  await clearTemp(o.workspace);
  const done = protectedFiles(o.catalog);
  const todo = [...manifest.entries].filter(([rel, sha]) => !done.has(`${sha}  ${rel}`)).map(([rel, sha]) => ({ rel, sha256: sha }));
  const { good, skipped } = await confirmBytes(o.workspace, o.catalog, todo, o.signal);
  const batches = batchFiles(good, outputYears(o.catalog), o.maxFiles ?? 1000, o.maxBytes ?? 2e9);
  const existingSets = protectionSets(o.catalog).length;
  const created: NewSet[] = [];
  onEvent({ kind: "stage", stage: "protect", total: batches.length });
  for (const b of batches) {
    if (o.signal?.aborted) throw new ArchiveError("E_ABORTED", "stopped");
    created.push(await writeSet(o.workspace, o.catalog, b, redundancy, o.signal));
    onEvent({ kind: "progress", stage: "protect", done: created.length, total: batches.length, bytes: created.reduce((n, s) => n + s.bytes, 0) });
  }
  const now = protectedFiles(o.catalog);
  const protectedCount = [...manifest.entries].filter(([rel, sha]) => now.has(`${sha}  ${rel}`)).length;
  return { ok: skipped.length === 0, created, existingSets, protectedFiles: protectedCount, manifestFiles: manifest.entries.size, skipped, notes, durationMs: Date.now() - started };
}

interface Candidate extends ProtectedFile {
  size: number;
}

/**
 * Protect only the bytes the manifest lists: a file whose size, mtime and inode match the hash
 * cache entry for the manifest's SHA-256 is taken as is (no second read), others are re-hashed.
 */
async function confirmBytes(root: string, cat: Catalog, files: ProtectedFile[], signal?: AbortSignal): Promise<{ good: Candidate[]; skipped: Failure[] }> {
  const cache = new HashCache(cat);
  const good: Candidate[] = [];
  const skipped: Failure[] = [];
  const pool = new HashPool(2);
  try {
    for (const f of files) {
      if (signal?.aborted) throw new ArchiveError("E_ABORTED", "stopped");
      try {
        const st = await stat(join(root, f.rel));
        const known = cache.lookup(f.rel, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
        const sha = known ?? (await pool.hash(join(root, f.rel))).sha256;
        if (sha === f.sha256) good.push({ ...f, size: st.size });
        else skipped.push({ path: f.rel, reason: `its bytes no longer match the manifest (${sha}): not protected; run archive repair or archive verify` });
      } catch (err) {
        skipped.push({ path: f.rel, reason: `cannot be read: ${reasonOf(err)}` });
      }
    }
  } finally {
    await pool.close();
  }
  return { good, skipped };
}

interface Batch {
  name: string;
  files: Candidate[];
  bytes: number;
}

/** The batch of a file: its item's capture year, else a year folder in its path, else "other". */
function batchOf(rel: string, years: Map<string, number | null>): string {
  const y = years.get(rel);
  if (y) return String(y);
  return rel.split("/").find((p) => /^(19|20)\d\d$/.test(p)) ?? (years.has(rel) ? "undated" : "other");
}

/** Group by batch, then split each batch into sets of at most maxFiles files / about maxBytes. */
function batchFiles(files: Candidate[], years: Map<string, number | null>, maxFiles: number, maxBytes: number): Batch[] {
  const by = new Map<string, Candidate[]>();
  for (const f of files) {
    const b = batchOf(f.rel, years);
    const list = by.get(b);
    if (list) list.push(f);
    else by.set(b, [f]);
  }
  const out: Batch[] = [];
  for (const name of [...by.keys()].sort()) {
    let cur: Batch = { name, files: [], bytes: 0 };
    for (const f of by.get(name)!.sort((a, b) => (a.rel < b.rel ? -1 : 1))) {
      if (cur.files.length && (cur.files.length >= maxFiles || cur.bytes + f.size > maxBytes)) {
        out.push(cur);
        cur = { name, files: [], bytes: 0 };
      }
      cur.files.push(f);
      cur.bytes += f.size;
    }
    if (cur.files.length) out.push(cur);
  }
  return out;
}

/** par2 create into a temporary folder, then rename the set into protection/<batch>/, then record it. */
async function writeSet(root: string, cat: Catalog, b: Batch, redundancy: number, signal?: AbortSignal): Promise<NewSet> {
  const dir = join(root, PROTECTION_DIR, b.name);
  await mkdir(dir, { recursive: true });
  const taken = new Set(await readdir(dir));
  let n = 1;
  while (taken.has(`${b.name}-${String(n).padStart(3, "0")}.par2`)) n++;
  const base = `${b.name}-${String(n).padStart(3, "0")}`;
  const tmp = join(root, PROTECTION_DIR, `${TEMP_MARKER}${process.pid}-${base}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  try {
    const blockSize = blockSizeFor(b.bytes);
    await par2Create(join(tmp, `${base}.par2`), root, b.files.map((f) => join(root, f.rel)), { redundancy, blockSize, ...(signal ? { signal } : {}) });
    for (const name of await readdir(tmp)) await rename(join(tmp, name), join(dir, name));
    const par2Rel = `${PROTECTION_DIR}/${b.name}/${base}.par2`;
    addProtectionSet(cat, { batch: b.name, par2Rel, files: b.files.length, bytes: b.bytes, redundancy, blockSize, createdAt: new Date().toISOString() }, b.files);
    return { par2: par2Rel, batch: b.name, files: b.files.length, bytes: b.bytes };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Sets whose main .par2 file is gone protect nothing: forget them so their files are protected again. */
async function dropVanishedSets(root: string, cat: Catalog): Promise<string[]> {
  const notes: string[] = [];
  for (const s of protectionSets(cat)) {
    if (!existsSync(join(root, s.par2Rel))) {
      removeProtectionSet(cat, s.id);
      notes.push(`${s.par2Rel} is gone: its ${s.files} files are protected again by a new set`);
    }
  }
  return notes;
}

/** Leftovers of an interrupted run (temporary set folders) are removed. */
async function clearTemp(root: string): Promise<void> {
  const dir = join(root, PROTECTION_DIR);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) if (n.startsWith(TEMP_MARKER)) await rm(join(dir, n), { recursive: true, force: true });
}

/** Which manifest files no PAR2 set protects yet (for `archive verify`: "no protection yet"). */
export async function unprotectedFiles(workspace: string, catalog: Catalog): Promise<{ manifestFiles: number; sets: number; unprotected: string[] }> {
  const manifest = await loadManifest(workspace);
  const done = protectedFiles(catalog);
  // a set whose .par2 file is gone protects nothing
  const present = new Set(protectionSets(catalog).filter((s) => existsSync(join(workspace, s.par2Rel))).map((s) => s.id));
  const unprotected = [...manifest.entries].filter(([rel, sha]) => !present.has(done.get(`${sha}  ${rel}`) ?? -1)).map(([rel]) => rel);
  return { manifestFiles: manifest.entries.size, sets: present.size, unprotected };
}
