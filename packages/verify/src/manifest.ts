import { readFile, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import {
  ArchiveError,
  HashPool,
  noEvents,
  throttleProgress,
  writeAtomically,
  type Catalog,
  type ManifestSummary,
  type OnEvent,
} from "@archive/core";
import { journalOutputs, planManifest, readManifestFile, settleLine, type ManifestPlan, type PathReason, type Reading } from "./evidence.js";
import { writeBag } from "./bag.js";
import { sha256sumLine } from "./format.js";
import { hashFiles, type HashedFile } from "./hashing.js";
import { BAG_DIR, MANIFEST_NAME, walkArchive } from "./walk.js";

export interface ManifestOptions {
  /** The workspace root. */
  workspace: string;
  catalog: Catalog;
  /** Also write a BagIt 1.0 bag at `<workspace>/bag/` (payload hard-linked under bag/data/). */
  bagit?: boolean;
  /** Worker threads for hashing (default: all cores). */
  threads?: number;
  onEvent?: OnEvent;
  signal?: AbortSignal;
}

export interface ManifestResult {
  /** Absolute path of manifest-sha256.txt. */
  manifest: string;
  files: number;
  bytes: number;
  /** Files whose recorded hash the hash cache confirmed (unchanged size, mtime and inode). */
  cached: number;
  /** Files read this run to confirm their recorded hash. */
  hashed: number;
  hashedBytes: number;
  /** Lines new this run: outputs convert journalled since the manifest was last written. */
  added: number;
  /** Archived files whose bytes are not the recorded ones, or that are missing: fixity failures (their lines keep the recorded hash). */
  failures: PathReason[];
  /** Files in the workspace that are not the archive's own: never put in the manifest. */
  extra: PathReason[];
  /** Old manifest lines of files no job wrote, left out now. */
  dropped: string[];
  /** Files the walk could not list (unreadable folders, symbolic links, names that are not UTF-8). */
  skipped: PathReason[];
  bag: { dir: string; payloadOxum: string } | null;
  durationMs: number;
}

/** Read the planned lines' files (the hash cache confirms unchanged ones) and settle each line. */
async function settle(plan: ManifestPlan, options: ManifestOptions, onEvent: OnEvent) {
  const toRead = plan.lines.filter((p) => p.file).map((p) => p.file!);
  const pool = new HashPool(options.threads ?? availableParallelism());
  let r;
  try {
    r = await hashFiles(toRead, { catalog: options.catalog, pool, useCache: true, stage: "hash", onEvent, ...(options.signal ? { signal: options.signal } : {}) });
  } finally {
    await pool.close();
  }
  const reads = new Map<string, Reading>([
    ...r.hashed.map((h) => [h.rel, { sha256: h.sha256 }] as const),
    ...r.failed.map((f) => [f.path, { error: f.reason }] as const),
  ]);
  const lines: HashedFile[] = [];
  const failures: PathReason[] = [];
  let added = 0;
  for (const p of plan.lines) {
    const s = settleLine(p, reads.get(p.rel));
    if (s.failure) failures.push({ path: p.rel, reason: s.failure });
    if (s.sha256 === null) continue;
    if (s.sha256 !== p.prev) added++;
    const f = p.file ?? { rel: p.rel, abs: join(options.workspace, p.rel), size: 0, mtimeMs: 0, ino: 0, dev: 0 };
    lines.push({ ...f, sha256: s.sha256 });
  }
  return { lines, failures, added, cached: r.cached, hashed: toRead.length - r.cached, readBytes: r.readBytes };
}

/**
 * Write `<workspace>/manifest-sha256.txt` (and with `bagit`, the bag at `<workspace>/bag/`):
 * the SHA-256 of every file the job journal records as the archive's output, `sha256sum -c`
 * compatible, written atomically. The manifest is evidence: a line is taken from the journal's
 * hash when convert writes the file, and a file whose bytes changed afterwards is a failure that
 * keeps its recorded line, never a new hash. Foreign files are listed in `extra`, never hashed in.
 */
export async function buildManifest(options: ManifestOptions): Promise<ManifestResult> {
  const started = Date.now();
  const onEvent = throttleProgress(options.onEvent ?? noEvents);
  const root = options.workspace;
  const old = await readManifestFile(root);
  if (old.error) throw new ArchiveError("E_WRITE", `cannot read ${join(root, MANIFEST_NAME)} (${old.error}): it is the archive's evidence and is never rewritten unread`);
  onEvent({ kind: "stage", stage: "walk" });
  const walk = await walkArchive(root, options.signal);
  if (options.signal?.aborted) throw new ArchiveError("E_ABORTED", "stopped");
  const plan = planManifest(old.entries, journalOutputs(options.catalog), walk.files);
  const s = await settle(plan, options, onEvent);
  const manifest = join(root, MANIFEST_NAME);
  const damaged = [...old.malformed.map((n) => `line ${n} is not a valid sha256sum line`), ...old.twice.map((rel) => `${JSON.stringify(rel)} is listed twice`)];
  if (damaged.length) {
    // a damaged manifest is itself a finding: left as it is for a person to look at
    s.failures.push({ path: MANIFEST_NAME, reason: `${damaged.join("; ")}: not rewritten; repair or move it aside, then run \`archive manifest\`` });
  } else {
    s.lines.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    const text = s.lines.map((f) => sha256sumLine(f.sha256, f.rel) + "\n").join("");
    const before = old.absent ? null : await readFile(manifest, "utf8").catch(() => null);
    if (text !== before) await writeAtomically(manifest, (tmp) => writeFile(tmp, text));
  }
  const onDisk = new Set(plan.lines.filter((p) => p.file).map((p) => p.rel));
  const present = s.lines.filter((f) => onDisk.has(f.rel));
  const bag = options.bagit ? await writeBag(root, present, onEvent) : null;
  return {
    manifest,
    files: s.lines.length,
    bytes: present.reduce((n, f) => n + f.size, 0),
    cached: s.cached,
    hashed: s.hashed,
    hashedBytes: s.readBytes,
    added: s.added,
    failures: s.failures,
    extra: plan.extra,
    dropped: plan.dropped,
    skipped: walk.skipped,
    bag,
    durationMs: Date.now() - started,
  };
}

/** What the run record keeps of a manifest run (the report and `archive run` read it typed). */
export function manifestSummary(r: ManifestResult): ManifestSummary {
  return {
    files: r.files,
    bytes: r.bytes,
    added: r.added,
    hashed: r.hashed,
    cached: r.cached,
    failures: r.failures.slice(0, 1000),
    extra: r.extra.length,
    bag: r.bag !== null,
  };
}
