import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  addArchiveWalkFiles,
  archivedOutputs,
  archiveWalkOfSize,
  archiveWalkSizes,
  beginArchiveWalk,
  endArchiveWalk,
  HashCache,
  isTempName,
  noEvents,
  walkTree,
  WORKSPACE_DIR,
  type Catalog,
} from "@archive/core";
import { toGroups, type DedupeReport, type FindOptions } from "./source.js";
import { emptyStats, runStages, type Candidate, type ContentSet } from "./stages.js";

/** The archive folders dedupe looks in (workspace-relative). */
export const ARCHIVE_DIRS = ["converted", "originals"] as const;

export interface ArchiveOptions extends FindOptions {
  /** The workspace root. */
  workspace: string;
}

type ArchiveCandidate = Candidate & { itemId: number | null; inAlbum: boolean; captureUtcMs: number | null; journalled: boolean };

/**
 * Every workspace-relative path the job journal records as the archive's own: outputs, kept
 * originals, organisation sidecars, older outputs kept (core's `archivedOutputs`, the list the
 * manifest is made of). Such a file is in its place by name: the manifest lists it, verify
 * checks it, a sidecar is found beside its photo by name. It is never moved out (docs/dedupe.md).
 */
export function journalledFiles(catalog: Catalog): Set<string> {
  const out = new Set<string>();
  for (const r of archivedOutputs(catalog)) out.add(r.rel);
  return out;
}

/**
 * Walk converted/ and originals/ into the catalog's temporary walk table with core's one walker
 * (regular files only: links are never followed or acted on; in-flight temp files are skipped;
 * what cannot be read is a problem). Returns the folders found.
 */
async function walkArchive(root: string, catalog: Catalog, problems: { path: string; reason: string }[]): Promise<string[]> {
  beginArchiveWalk(catalog);
  const found: string[] = [];
  for (const dir of ARCHIVE_DIRS) {
    if (!existsSync(join(root, dir))) continue;
    found.push(dir);
    let batch: [string, number, number, number, number][] = [];
    for await (const e of walkTree(join(root, dir))) {
      const rel = `${dir}/${e.path}`;
      if (e.kind === "unreadable") problems.push({ path: rel, reason: e.reason ?? "cannot be read" });
      if (e.kind !== "file" || !e.utf8 || isTempName(e.path.slice(e.path.lastIndexOf("/") + 1))) continue;
      const st = e.stats!;
      batch.push([rel, st.size, Math.round(st.mtimeMs), st.dev, st.ino]);
      if (batch.length >= 1024) {
        addArchiveWalkFiles(catalog, batch);
        batch = [];
      }
    }
    addArchiveWalkFiles(catalog, batch);
  }
  return found;
}

function* walkGroups(root: string, catalog: Catalog, minSize: number, cache: HashCache, journal: ReadonlySet<string>): Generator<ArchiveCandidate[]> {
  let after = -1;
  for (;;) {
    const page = archiveWalkSizes(catalog, minSize, after);
    if (!page.length) return;
    for (const size of page) {
      yield archiveWalkOfSize(catalog, size).map((r) => ({
        id: r.id,
        path: join(root, r.rel),
        rel: r.rel,
        size: r.size,
        mtimeMs: r.mtime_ms,
        dev: r.dev,
        ino: r.ino,
        sha256: cache.lookup(r.rel, { size: r.size, mtimeMs: r.mtime_ms, ino: r.ino }) ?? null,
        present: true,
        itemId: r.item_id,
        inAlbum: r.in_album === 1,
        captureUtcMs: r.capture_utc_ms,
        journalled: journal.has(r.rel),
      }));
    }
    after = page[page.length - 1]!;
  }
}

/**
 * Exact duplicates among the archive's own files (converted/ and originals/), found by hashing
 * them with the same stages as the source; works before, during or after convert. SHA-256 values
 * go to the shared hash cache (file_hashes, keyed by workspace-relative path). A file the job
 * journal records is kept over a copy no job wrote (rule "already archived").
 */
export async function findArchiveDuplicates(o: ArchiveOptions): Promise<DedupeReport> {
  const started = Date.now();
  const onEvent = o.onEvent ?? noEvents;
  const stats = emptyStats();
  const problems: { path: string; reason: string }[] = [];
  const cache = new HashCache(o.catalog);
  const found = await walkArchive(o.workspace, o.catalog, problems);
  const base = { scope: "archive" as const, stats, problems };
  if (!found.length) {
    return {
      ...base, groups: [], duplicateFiles: 0, bytesSaved: 0, durationMs: Date.now() - started,
      note: `the archive has no ${ARCHIVE_DIRS.join("/ or ")}/ folder yet (nothing converted or copied): only the library was checked`,
    };
  }
  const sets: ContentSet<ArchiveCandidate>[] = [];
  let pending: [string, ArchiveCandidate][] = [];
  const flush = () => {
    const b = pending;
    pending = [];
    o.catalog.tx(() => {
      for (const [sha, c] of b) cache.store(c.rel, { size: c.size, mtimeMs: c.mtimeMs, ino: c.ino! }, sha);
    });
  };
  onEvent({ kind: "stage", stage: "dedupe archive" });
  try {
    await runStages(
      walkGroups(o.workspace, o.catalog, o.includeEmpty ? 0 : 1, cache, journalledFiles(o.catalog)),
      {
        ...(o.threads !== undefined ? { threads: o.threads } : {}),
        onEvent, stats, problems,
        ...(o.signal ? { signal: o.signal } : {}),
        remember(c, sha) {
          pending.push([sha, c]);
          if (pending.length >= 256) flush();
        },
      },
      (s) => sets.push(s),
    );
  } finally {
    flush();
    endArchiveWalk(o.catalog);
  }
  // "already archived" here means journalled: a file the archive wrote is always kept over a copy no job wrote
  const result = toGroups(
    sets,
    (c) => ({ id: c.id, path: c.rel, archived: c.journalled, inAlbum: c.inAlbum, captureUtcMs: c.captureUtcMs, present: true }),
    (c) => ({ id: c.id, path: c.path, rel: c.rel, present: true, archived: c.journalled, itemId: c.itemId }),
    o.keepPath ?? [],
  );
  const note = found.length < ARCHIVE_DIRS.length ? `no ${ARCHIVE_DIRS.filter((d) => !found.includes(d)).join(", ")}/ folder in the archive` : undefined;
  return { ...base, ...result, durationMs: Date.now() - started, ...(note ? { note } : {}) };
}

/** The quarantine folder and its log, inside the workspace's .archive folder. */
export const QUARANTINE_DIR = `${WORKSPACE_DIR}/quarantine`;
export const QUARANTINE_LOG = `${QUARANTINE_DIR}/log.jsonl`;
