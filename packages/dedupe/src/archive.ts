import { existsSync, lstatSync, readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { HashCache, isTempName, noEvents, WORKSPACE_DIR, type Catalog } from "@archive/core";
import { toGroups, type DedupeReport, type FindOptions } from "./source.js";
import { emptyStats, runStages, type Candidate, type ContentSet } from "./stages.js";

/** The archive folders dedupe looks in (workspace-relative). */
export const ARCHIVE_DIRS = ["converted", "originals"] as const;

export interface ArchiveOptions extends FindOptions {
  /** The workspace root. */
  workspace: string;
}

interface WalkRow {
  id: number;
  rel: string;
  size: number;
  mtime_ms: number;
  dev: number;
  ino: number;
}

type ArchiveCandidate = Candidate & { itemId: number | null; inAlbum: boolean; captureUtcMs: number | null };

/** Workspace-relative paths always use "/" (the job journal's output_rel does). */
const toRel = (root: string, abs: string) => relative(root, abs).split(sep).join("/");

/**
 * Walk converted/ and originals/ into a temporary table (regular files only: symlinks are
 * never followed or acted on; in-flight temp files are skipped). Returns the folders found.
 */
function walkArchive(root: string, catalog: Catalog, problems: { path: string; reason: string }[]): string[] {
  const db = catalog.db;
  db.exec("CREATE TEMP TABLE IF NOT EXISTS dedupe_walk (id INTEGER PRIMARY KEY, rel TEXT NOT NULL, size INTEGER NOT NULL, mtime_ms INTEGER NOT NULL, dev INTEGER NOT NULL, ino INTEGER NOT NULL)");
  db.exec("DELETE FROM dedupe_walk");
  db.exec("CREATE INDEX IF NOT EXISTS temp.dedupe_walk_size ON dedupe_walk(size)");
  const insert = db.prepare("INSERT INTO dedupe_walk (rel, size, mtime_ms, dev, ino) VALUES (?, ?, ?, ?, ?)");
  const found: string[] = [];
  for (const dir of ARCHIVE_DIRS) {
    const abs = join(root, dir);
    if (!existsSync(abs)) continue;
    found.push(dir);
    let batch: [string, number, number, number, number][] = [];
    const flush = () => {
      const b = batch;
      batch = [];
      catalog.tx(() => {
        for (const r of b) insert.run(...r);
      });
    };
    const stack = [abs];
    while (stack.length) {
      const d = stack.pop()!;
      let entries;
      try {
        entries = readdirSync(d, { withFileTypes: true });
      } catch (err) {
        problems.push({ path: toRel(root, d), reason: String((err as Error).message) });
        continue;
      }
      for (const e of entries) {
        const p = join(d, e.name);
        if (e.isDirectory()) stack.push(p);
        else if (e.isFile() && !isTempName(e.name)) {
          try {
            const st = lstatSync(p);
            batch.push([toRel(root, p), st.size, Math.round(st.mtimeMs), st.dev, st.ino]);
          } catch {
            // vanished while walking
          }
          if (batch.length >= 1024) flush();
        }
      }
    }
    flush();
  }
  return found;
}

function* walkGroups(root: string, catalog: Catalog, minSize: number, cache: HashCache): Generator<ArchiveCandidate[]> {
  const db = catalog.db;
  const sizes = db.prepare("SELECT size FROM dedupe_walk WHERE size >= ? AND size > ? GROUP BY size HAVING COUNT(*) > 1 ORDER BY size LIMIT 512").pluck();
  // the item whose job wrote the file, for the keeper rule (album, capture time)
  const members = db.prepare(
    `SELECT w.*, j.item_id AS item_id, CASE WHEN i.capture_source = 'mtime' THEN NULL ELSE i.capture_utc_ms END AS capture_utc_ms,
       j.item_id IN (SELECT item_id FROM album_items) AS in_album
     FROM dedupe_walk w
     LEFT JOIN jobs j ON j.output_rel = w.rel AND j.status = 'done'
     LEFT JOIN items i ON i.id = j.item_id
     WHERE w.size = ? GROUP BY w.id ORDER BY w.id`,
  );
  let after = -1;
  for (;;) {
    const page = sizes.all(minSize, after) as number[];
    if (!page.length) return;
    for (const size of page) {
      const rows = members.all(size) as (WalkRow & { item_id: number | null; capture_utc_ms: number | null; in_album: number })[];
      yield rows.map((r) => ({
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
      }));
    }
    after = page[page.length - 1]!;
  }
}

/**
 * Exact duplicates among the archive's own files (converted/ and originals/), found by hashing
 * them with the same stages as the source; works before, during or after convert. SHA-256 values
 * go to the shared hash cache (file_hashes, keyed by workspace-relative path).
 */
export async function findArchiveDuplicates(o: ArchiveOptions): Promise<DedupeReport> {
  const started = Date.now();
  const onEvent = o.onEvent ?? noEvents;
  const stats = emptyStats();
  const problems: { path: string; reason: string }[] = [];
  const cache = new HashCache(o.catalog);
  const found = walkArchive(o.workspace, o.catalog, problems);
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
      walkGroups(o.workspace, o.catalog, o.includeEmpty ? 0 : 1, cache),
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
    o.catalog.db.exec("DELETE FROM dedupe_walk");
  }
  const result = toGroups(
    sets,
    (c) => ({ id: c.id, path: c.rel, archived: false, inAlbum: c.inAlbum, captureUtcMs: c.captureUtcMs, present: true }),
    (c) => ({ id: c.id, path: c.path, rel: c.rel, present: true, archived: true, itemId: c.itemId }),
    o.keepPath ?? [],
  );
  const note = found.length < ARCHIVE_DIRS.length ? `no ${ARCHIVE_DIRS.filter((d) => !found.includes(d)).join(", ")}/ folder in the archive` : undefined;
  return { ...base, ...result, durationMs: Date.now() - started, ...(note ? { note } : {}) };
}

/** The quarantine folder and its log, inside the workspace's .archive folder. */
export const QUARANTINE_DIR = `${WORKSPACE_DIR}/quarantine`;
export const QUARANTINE_LOG = `${QUARANTINE_DIR}/log.jsonl`;
