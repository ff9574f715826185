// `archive repair`: find damaged and missing files by the manifest, repair them with par2 from the
// sets that protect them, and accept a repair only when the file's SHA-256 equals the manifest's.
import { existsSync } from "node:fs";
import { chmod, mkdir, rename, stat, utimes } from "node:fs/promises";
import type { Stats } from "node:fs";
import { dirname, join } from "node:path";
import {
  ArchiveError,
  HashPool,
  noEvents,
  protectedFiles,
  protectionSets,
  reasonOf,
  WORKSPACE_DIR,
  type Catalog,
  type OnEvent,
} from "@archive/core";
import type { Failure } from "../report.js";
import { checkCopy } from "./check.js";
import { loadManifest } from "./manifests.js";
import { par2Reason, par2Repair } from "./par2.js";

export interface RepairOptions {
  workspace: string;
  catalog: Catalog;
  threads?: number;
  onEvent?: OnEvent;
  signal?: AbortSignal;
}

export interface RepairResult {
  /** True only when every damaged or missing file is back, byte for byte (SHA-256 = manifest). */
  ok: boolean;
  /** Damaged, missing or unreadable manifest files found before repairing. */
  broken: number;
  repaired: string[];
  failed: Failure[];
  /** par2 sets that were run. */
  sets: string[];
  /** Where par2's copies of the damaged files were moved (out of the archive), or null. */
  damagedCopies: string | null;
  notes: string[];
  durationMs: number;
}

/** Repair the archive's damaged and missing files from its PAR2 sets. */
export async function repair(o: RepairOptions): Promise<RepairResult> {
  const started = Date.now();
  const onEvent = o.onEvent ?? noEvents;
  const sig = o.signal ? { signal: o.signal } : {};
  const check = await checkCopy({ workspace: o.workspace, catalog: o.catalog, ...(o.threads ? { threads: o.threads } : {}), onEvent, ...sig });
  const broken = [...check.damaged.map((d) => d.path), ...check.missing, ...check.unreadable.map((u) => u.path)];
  const notes = check.extra.length ? [`${check.extra.length} files are in the archive but not in the manifest (not repaired, not touched)`] : [];
  const result: RepairResult = { ok: true, broken: broken.length, repaired: [], failed: [], sets: [], damagedCopies: null, notes, durationMs: 0 };
  if (!broken.length) return { ...result, durationMs: Date.now() - started };
  const manifest = await manifestOf(o.workspace);
  const bySet = setsFor(o.catalog, broken, manifest, result.failed);
  const stash = join(o.workspace, WORKSPACE_DIR, "damaged", new Date().toISOString().replace(/[:.]/g, "-"));
  const pool = new HashPool(o.threads ?? 2);
  try {
    onEvent({ kind: "stage", stage: "repair", total: bySet.size });
    for (const [par2Rel, files] of bySet) {
      if (o.signal?.aborted) throw new ArchiveError("E_ABORTED", "stopped");
      result.sets.push(par2Rel);
      const before = new Set(files.flatMap((f) => backupNames(join(o.workspace, f)).filter(existsSync)));
      const looks = await statsOf(o.workspace, files);
      const run = await par2Repair(join(o.workspace, par2Rel), o.workspace, o.signal);
      for (const f of files) await acceptRepair(o.workspace, f, manifest.get(f)!, run, pool, result);
      await restoreLooks(o.workspace, files.filter((f) => result.repaired.includes(f)), looks);
      result.damagedCopies = (await stashBackups(o.workspace, files, before, stash)) ? stash : result.damagedCopies;
      onEvent({ kind: "progress", stage: "repair", done: result.sets.length, total: bySet.size });
    }
  } finally {
    await pool.close();
  }
  result.ok = result.failed.length === 0;
  return { ...result, durationMs: Date.now() - started };
}

/** Mode and times of the damaged files as they were (bit rot keeps them; outputs carry the capture time as mtime). */
async function statsOf(root: string, files: string[]): Promise<Map<string, Stats>> {
  const looks = new Map<string, Stats>();
  for (const f of files) {
    try {
      looks.set(f, await stat(join(root, f)));
    } catch {
      // missing: par2 recreates it with fresh times
    }
  }
  return looks;
}

/** par2 writes a repaired file anew (mode 0644, mtime now): give it back the damaged file's mode and times. */
async function restoreLooks(root: string, repaired: string[], looks: Map<string, Stats>): Promise<void> {
  for (const f of repaired) {
    const st = looks.get(f);
    if (!st) continue;
    await chmod(join(root, f), st.mode & 0o7777);
    await utimes(join(root, f), st.atime, st.mtime);
  }
}

async function manifestOf(root: string): Promise<Map<string, string>> {
  return (await loadManifest(root)).entries;
}

/** The set to run for each broken file (a file no set protects with the manifest's bytes fails here). */
function setsFor(cat: Catalog, broken: string[], manifest: Map<string, string>, failed: Failure[]): Map<string, string[]> {
  const prot = protectedFiles(cat);
  const par2Of = new Map(protectionSets(cat).map((s) => [s.id, s.par2Rel]));
  const bySet = new Map<string, string[]>();
  for (const rel of broken) {
    const setId = prot.get(`${manifest.get(rel)}  ${rel}`);
    const par2 = setId === undefined ? undefined : par2Of.get(setId);
    if (!par2) {
      failed.push({ path: rel, reason: "no PAR2 set protects this file (run archive protect while the archive is intact)" });
      continue;
    }
    const list = bySet.get(par2);
    if (list) list.push(rel);
    else bySet.set(par2, [rel]);
  }
  return bySet;
}

/** A repaired file counts only when its SHA-256 is the manifest's again. */
async function acceptRepair(root: string, rel: string, want: string, run: { ok: boolean; output: string }, pool: HashPool, r: RepairResult): Promise<void> {
  try {
    const got = (await pool.hash(join(root, rel))).sha256;
    if (got === want) r.repaired.push(rel);
    else r.failed.push({ path: rel, reason: run.ok ? `par2 reported success but the SHA-256 is ${got}, not the manifest's ${want}` : par2Reason(run.output) });
  } catch (err) {
    r.failed.push({ path: rel, reason: run.ok ? `still unreadable after repair: ${reasonOf(err)}` : par2Reason(run.output) });
  }
}

/** par2 keeps a damaged file as NAME.1 (NAME.2, ...) beside the repaired one. */
const backupNames = (abs: string) => Array.from({ length: 9 }, (_, i) => `${abs}.${i + 1}`);

/** Move par2's copies of the damaged files out of the archive into .archive/damaged/ (kept, never deleted). */
async function stashBackups(root: string, files: string[], before: Set<string>, stash: string): Promise<boolean> {
  let moved = false;
  for (const rel of files) {
    for (const b of backupNames(join(root, rel))) {
      if (before.has(b) || !existsSync(b)) continue;
      const to = join(stash, rel + b.slice(b.lastIndexOf(".")));
      await mkdir(dirname(to), { recursive: true });
      await rename(b, to);
      moved = true;
    }
  }
  return moved;
}
