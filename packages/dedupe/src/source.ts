import { join } from "node:path";
import { noEvents, type Catalog, type OnEvent } from "@archive/core";
import { chooseKeeper, type KeepReason, type KeeperFacts } from "./keeper.js";
import { emptyStats, runStages, type Candidate, type ContentSet, type StageStats } from "./stages.js";

/** One copy in a duplicate group. */
export interface DuplicateMember {
  /** Item id (source scope) or walk row id (archive scope). */
  id: number;
  /** Absolute path. */
  path: string;
  /** Source-relative (source scope) or workspace-relative (archive scope) path. */
  rel: string;
  /** False for an archived item whose source file is gone (a previous export). */
  present: boolean;
  /** The item already has a finished job (its content is in the archive). */
  archived: boolean;
  /** Source scope: the catalog item. Archive scope: the item whose job wrote this file, if known. */
  itemId: number | null;
}

/** Files with identical bytes: the one to keep, why, and the others. */
export interface DuplicateGroup {
  sha256: string;
  size: number;
  keeper: DuplicateMember;
  reason: KeepReason;
  duplicates: DuplicateMember[];
  /** The keeper or a duplicate seen again under another path (hard link, symlink): not duplicates. */
  aliases: { path: string; rel: string }[];
}

export interface DedupeReport {
  scope: "source" | "archive";
  groups: DuplicateGroup[];
  /** Present files that are copies of a kept file. */
  duplicateFiles: number;
  /** Bytes those copies take: what keeping one copy saves. */
  bytesSaved: number;
  stats: StageStats;
  problems: { path: string; reason: string }[];
  durationMs: number;
  /** Why nothing was looked at, e.g. the archive has no converted/ folder yet. */
  note?: string;
}

export interface FindOptions {
  catalog: Catalog;
  /** Worker threads for edge reads and SHA-256 (default: min(4, cores)); created and closed per call. */
  threads?: number;
  /** Zero-byte files count as duplicates of each other (default: they do not). */
  includeEmpty?: boolean;
  /** Prefer keepers under these folders, in order (absolute, or relative to the source / workspace). */
  keepPath?: readonly string[];
  /** Write the groups to the catalog (groups type 'duplicate'); default true. */
  record?: boolean;
  onEvent?: OnEvent;
  signal?: AbortSignal;
}

/** Columns the stages need, as a raw row: id, source_id, rel_path, size, mtime_ms, dev, ino, sha256, missing. */
type ItemRaw = [number, number, string, number, number, number | null, number | null, string | null, number];

type ItemCandidate = Candidate & { mtimeRow: number; inoRow: number | null };

const DONE_JOB = `EXISTS (SELECT 1 FROM jobs j WHERE j.item_id = i.id AND j.status = 'done' AND j.action <> 'duplicate')`;
/** Present items, plus archived items from an earlier export whose file is gone but whose SHA-256 is known. */
const CANDIDATE = `(i.missing = 0 OR (i.sha256 IS NOT NULL AND ${DONE_JOB}))`;
const PAGE = 512;

/**
 * Same-size groups of candidate items, paged by size so the catalog is never loaded whole. Only
 * the columns the stages need are read (raw rows: this query touches every candidate); the keeper
 * rule's facts are read later, for group members only.
 */
function* sizeGroups(catalog: Catalog, minSize: number): Generator<ItemCandidate[]> {
  const db = catalog.db;
  const sizes = db
    .prepare(`SELECT i.size FROM items i WHERE ${CANDIDATE} AND i.size >= ? AND i.size > ? GROUP BY i.size HAVING COUNT(*) > 1 ORDER BY i.size LIMIT ${PAGE}`)
    .pluck();
  // sources are few: their roots once, not joined into every row
  const roots = new Map<number, string>();
  for (const [id, root] of db.prepare("SELECT id, root FROM sources").raw(true).all() as [number, string][]) roots.set(id, root);
  const rootOf = (id: number) => {
    let r = roots.get(id);
    if (r === undefined) {
      r = (db.prepare("SELECT root FROM sources WHERE id = ?").pluck().get(id) as string | undefined) ?? "";
      roots.set(id, r);
    }
    return r;
  };
  const members = db
    .prepare(`SELECT i.id, i.source_id, i.rel_path, i.size, i.mtime_ms, i.dev, i.ino, i.sha256, i.missing FROM items i WHERE ${CANDIDATE} AND i.size = ?`)
    .raw(true);
  let after = -1;
  for (;;) {
    const page = sizes.all(minSize, after) as number[];
    if (!page.length) return;
    for (const size of page) {
      const rows = members.all(size) as ItemRaw[];
      yield rows.map(([id, sourceId, rel, sz, mtime, dev, ino, sha, missing]) => ({
        id,
        path: join(rootOf(sourceId), rel),
        rel,
        size: sz,
        mtimeMs: mtime,
        dev,
        ino,
        sha256: sha,
        present: missing === 0,
        mtimeRow: mtime,
        inoRow: ino,
      }));
    }
    after = page[page.length - 1]!;
  }
}

/** Build report groups from content sets with the keeper rule applied. */
export function toGroups<C extends Candidate>(
  sets: ContentSet<C>[],
  facts: (c: C) => KeeperFacts,
  member: (c: C) => DuplicateMember,
  keepPath: readonly string[],
): Pick<DedupeReport, "groups" | "duplicateFiles" | "bytesSaved"> {
  const groups: DuplicateGroup[] = [];
  let duplicateFiles = 0;
  let bytesSaved = 0;
  for (const s of sets) {
    const byId = new Map(s.members.map((m) => [m.id, m]));
    const { ordered, reason } = chooseKeeper(s.members.map(facts), keepPath);
    const [k, ...rest] = ordered.map((f) => byId.get(f.id)!);
    const duplicates = rest.map(member);
    const present = duplicates.filter((d) => d.present).length;
    duplicateFiles += present;
    bytesSaved += present * s.size;
    groups.push({ sha256: s.sha256, size: s.size, keeper: member(k!), reason, duplicates, aliases: s.aliases.map((a) => ({ path: a.path, rel: a.rel })) });
  }
  // one collator, same order as localeCompare (which measured ~90 ms for 2,000 groups)
  const collator = new Intl.Collator();
  groups.sort((a, b) => b.size * b.duplicates.length - a.size * a.duplicates.length || collator.compare(a.keeper.rel, b.keeper.rel));
  return { groups, duplicateFiles, bytesSaved };
}

/**
 * Exact duplicates among the catalogued source items (present ones, plus archived items of an
 * earlier export whose SHA-256 is known): size -> same file -> edge xxh128 -> SHA-256. Computed
 * SHA-256 values are cached in items.sha256 (only while the file still matches its row), and the
 * groups are recorded in the catalog as groups of type 'duplicate' (roles 'keeper'/'duplicate').
 */
export async function findSourceDuplicates(o: FindOptions): Promise<DedupeReport> {
  const started = Date.now();
  const onEvent = o.onEvent ?? noEvents;
  const db = o.catalog.db;
  const stats = emptyStats();
  const problems: { path: string; reason: string }[] = [];
  const setSha = db.prepare("UPDATE items SET sha256 = ? WHERE id = ? AND size = ? AND mtime_ms = ? AND ino IS ?");
  let pending: [string, ItemCandidate][] = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    o.catalog.tx(() => {
      for (const [sha, c] of batch) setSha.run(sha, c.id, c.size, c.mtimeRow, c.inoRow);
    });
  };
  const sets: ContentSet<ItemCandidate>[] = [];
  onEvent({ kind: "stage", stage: "dedupe" });
  try {
    await runStages(
      sizeGroups(o.catalog, o.includeEmpty ? 0 : 1),
      {
        ...(o.threads !== undefined ? { threads: o.threads } : {}),
        onEvent,
        stats,
        problems,
        ...(o.signal ? { signal: o.signal } : {}),
        remember(c, sha) {
          pending.push([sha, c]);
          // fewer, larger transactions than one per 1,024 rows (each commit rewrites the pages it
          // touched), yet early enough to overlap with hashing still in flight in the workers
          if (pending.length >= 4096) flush();
        },
      },
      (s) => sets.push(s),
    );
  } finally {
    flush();
  }
  const keepPath = o.keepPath ?? [];
  // the keeper rule's facts, for group members only, in one query
  const facts = new Map<number, { archived: number; in_album: number; capture_utc_ms: number | null }>();
  const ids = sets.flatMap((x) => x.members.map((m) => m.id));
  const factsOf = db.prepare(
    `SELECT i.id, ${DONE_JOB} AS archived, i.id IN (SELECT item_id FROM album_items) AS in_album,
       -- a capture time guessed from the file date says nothing about which copy came first
       CASE WHEN i.capture_source = 'mtime' THEN NULL ELSE i.capture_utc_ms END AS capture_utc_ms
     FROM items i WHERE i.id IN (SELECT value FROM json_each(?))`,
  );
  for (let i = 0; i < ids.length; i += 10_000) {
    for (const r of factsOf.all(JSON.stringify(ids.slice(i, i + 10_000))) as { id: number; archived: number; in_album: number; capture_utc_ms: number | null }[]) {
      facts.set(r.id, r);
    }
  }
  const factOf = (id: number) => facts.get(id) ?? { archived: 0, in_album: 0, capture_utc_ms: null };
  const result = toGroups(
    sets,
    (c) => ({
      id: c.id,
      path: c.path,
      matchPaths: [c.rel],
      archived: factOf(c.id).archived === 1,
      inAlbum: factOf(c.id).in_album === 1,
      captureUtcMs: factOf(c.id).capture_utc_ms,
      present: c.present,
    }),
    (c) => ({ id: c.id, path: c.path, rel: c.rel, present: c.present, archived: factOf(c.id).archived === 1, itemId: c.id }),
    keepPath,
  );
  if (o.record !== false) recordGroups(o.catalog, result.groups);
  return { scope: "source", ...result, stats, problems, durationMs: Date.now() - started };
}

/** Replace the catalog's duplicate groups (type 'duplicate', key = SHA-256) with `groups`. */
export function recordGroups(catalog: Catalog, groups: readonly DuplicateGroup[]): void {
  const db = catalog.db;
  const members = groups.flatMap((g) => [
    ...(g.keeper.itemId !== null ? [[g.sha256, g.keeper.itemId, "keeper"]] : []),
    ...g.duplicates.filter((d) => d.itemId !== null).map((d) => [g.sha256, d.itemId, "duplicate"]),
  ]);
  catalog.tx(() => {
    db.exec("DELETE FROM groups WHERE type = 'duplicate'");
    db.prepare("INSERT OR IGNORE INTO groups (type, key) SELECT 'duplicate', value FROM json_each(?)").run(JSON.stringify(groups.map((g) => g.sha256)));
    db.prepare(
      `INSERT OR IGNORE INTO group_members (group_id, item_id, role)
       SELECT g.id, m.value ->> 1, m.value ->> 2 FROM json_each(?) AS m
       CROSS JOIN groups g ON g.type = 'duplicate' AND g.key = m.value ->> 0 -- json outer: one index lookup per member`,
    ).run(JSON.stringify(members));
  });
}

/** What convert needs to know about an item that duplicates another. */
export interface DuplicateOf {
  /** The item whose copy is (or will be) in the archive. */
  keeperId: number;
  sha256: string;
  /** The keeper's finished job output (workspace-relative), once it has been archived. */
  keeperOutput: string | null;
}

/**
 * The keeper of `itemId`'s duplicate group, or null when the item is not a (current) duplicate.
 * Stale groups are ignored: both items must still carry the group's SHA-256 (a re-scan of a
 * changed file clears it). Convert converts the keeper and records this item as a job with
 * action 'duplicate' and duplicate_of = keeperId.
 */
export function duplicateOf(catalog: Catalog, itemId: number): DuplicateOf | null {
  const row = catalog.db
    .prepare(
      `SELECT k.item_id AS keeperId, g.key AS sha256,
         (SELECT j.output_rel FROM jobs j WHERE j.item_id = k.item_id AND j.status = 'done' AND j.action <> 'duplicate') AS keeperOutput
       FROM group_members d
       JOIN groups g ON g.id = d.group_id AND g.type = 'duplicate'
       JOIN group_members k ON k.group_id = g.id AND k.role = 'keeper'
       JOIN items di ON di.id = d.item_id AND di.sha256 = g.key
       JOIN items ki ON ki.id = k.item_id AND ki.sha256 = g.key
       WHERE d.item_id = ? AND d.role = 'duplicate'`,
    )
    .get(itemId) as { keeperId: number; sha256: string; keeperOutput: string | null } | undefined;
  return row ?? null;
}

/**
 * An item already archived with the same bytes as `itemId` (any name, any export), or null.
 * Works from items.sha256 alone, so it also answers for items no duplicate group mentions yet.
 */
export function archivedCopyOf(catalog: Catalog, itemId: number): { itemId: number; output: string | null } | null {
  const row = catalog.db
    .prepare(
      `SELECT o.id AS itemId, j.output_rel AS output FROM items i
       JOIN items o ON o.sha256 = i.sha256 AND o.size = i.size AND o.id <> i.id
       JOIN jobs j ON j.item_id = o.id AND j.status = 'done' AND j.action <> 'duplicate'
       WHERE i.id = ? AND i.sha256 IS NOT NULL ORDER BY o.id LIMIT 1`,
    )
    .get(itemId) as { itemId: number; output: string | null } | undefined;
  return row ?? null;
}

/** How much of the catalogued library is new content for the archive (what `plan` can show). */
export interface NewContent {
  /** Present source files. */
  files: number;
  /** ... that have a finished job of their own. */
  archived: number;
  /** ... without a job, whose bytes are already archived under another item (any name, any export). */
  alreadyArchivedContent: number;
  /** ... duplicates of another not-yet-archived file (only one copy will be archived). */
  duplicates: number;
  /** What is left: files (and bytes) the next convert will actually archive. */
  newFiles: number;
  newBytes: number;
  /** New files whose SHA-256 is not known: run `archive dedupe` to hash size collisions. */
  unhashed: number;
}

/** Count new content: present items not archived, by content, using items.sha256 and the job journal. */
export function newContentCount(catalog: Catalog): NewContent {
  const r = catalog.db
    .prepare(
      `WITH done AS (
         SELECT DISTINCT o.sha256 FROM jobs j JOIN items o ON o.id = j.item_id
         WHERE j.status = 'done' AND j.action <> 'duplicate' AND o.sha256 IS NOT NULL),
       cls AS (
         SELECT i.size, i.sha256,
           CASE WHEN ${DONE_JOB.replace("j.action <> 'duplicate'", "1")} THEN 'archived'
                WHEN i.sha256 IS NOT NULL AND i.sha256 IN (SELECT sha256 FROM done) THEN 'content'
                WHEN EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id AND g.type = 'duplicate'
                             WHERE gm.item_id = i.id AND gm.role = 'duplicate' AND g.key = i.sha256) THEN 'dup'
                ELSE 'new' END AS c
         FROM items i WHERE i.missing = 0)
       SELECT COUNT(*) AS files,
         COALESCE(SUM(c = 'archived'), 0) AS archived,
         COALESCE(SUM(c = 'content'), 0) AS alreadyArchivedContent,
         COALESCE(SUM(c = 'dup'), 0) AS duplicates,
         COALESCE(SUM(c = 'new'), 0) AS newFiles,
         COALESCE(SUM(CASE WHEN c = 'new' THEN size ELSE 0 END), 0) AS newBytes,
         COALESCE(SUM(c = 'new' AND sha256 IS NULL), 0) AS unhashed
       FROM cls`,
    )
    .get() as NewContent;
  return r;
}
