// Catalog queries of `dedupe` (candidates by size, keeper facts, duplicate groups, new content,
// the archive walk) — owner: dedupe package. "Archived" is the one rule of duplicates.ts.
import type { Catalog } from "./db.js";
import { archivedNowSql, currentGroupSql } from "./duplicates-sql.js";
import type { ArchiveWalkRow, DedupeCandidateRaw, KeeperFactRow, NewContent } from "./schema.js";

/** The item's current content is archived by a job of its own (see duplicates.ts). */
const ARCHIVED = `EXISTS (SELECT 1 FROM jobs j WHERE j.item_id = i.id AND ${archivedNowSql("j", "i")})`;
/** Present items, plus archived items from an earlier export whose file is gone but whose SHA-256 is known. */
const CANDIDATE = `(i.missing = 0 OR (i.sha256 IS NOT NULL AND ${ARCHIVED}))`;

/** One page of sizes (ascending, after `afterSize`, at least `minSize`) shared by two or more candidate items. */
export function candidateSizes(cat: Catalog, minSize: number, afterSize: number, limit = 512): number[] {
  return cat
    .stmt(`SELECT i.size FROM items i WHERE ${CANDIDATE} AND i.size >= ? AND i.size > ? GROUP BY i.size HAVING COUNT(*) > 1 ORDER BY i.size LIMIT ?`)
    .pluck()
    .all(minSize, afterSize, limit) as number[];
}

/** The candidate items of one size, as raw rows (this query touches every candidate: no objects per row). */
export function candidatesOfSize(cat: Catalog, size: number): DedupeCandidateRaw[] {
  return cat
    .stmt(`SELECT i.id, i.source_id, i.rel_path, i.size, i.mtime_ms, i.dev, i.ino, i.sha256, i.missing FROM items i WHERE ${CANDIDATE} AND i.size = ?`)
    .raw(true)
    .all(size) as DedupeCandidateRaw[];
}

/** The keeper rule's facts for these items (archived now, in an album, a capture time that is not a file date). */
export function keeperFacts(cat: Catalog, ids: readonly number[]): KeeperFactRow[] {
  const out: KeeperFactRow[] = [];
  const q = cat.stmt(
    `SELECT i.id, ${ARCHIVED} AS archived, i.id IN (SELECT item_id FROM album_items) AS in_album,
       -- a capture time guessed from the file date says nothing about which copy came first
       CASE WHEN i.capture_source = 'mtime' THEN NULL ELSE i.capture_utc_ms END AS capture_utc_ms
     FROM items i WHERE i.id IN (SELECT value FROM json_each(?))`,
  );
  for (let i = 0; i < ids.length; i += 10_000) out.push(...(q.all(JSON.stringify(ids.slice(i, i + 10_000))) as KeeperFactRow[]));
  return out;
}

/** Replace the catalog's duplicate groups (type 'duplicate', key = SHA-256) with these: members as [sha256, itemId, 'keeper'|'duplicate']. */
export function replaceDuplicateGroups(cat: Catalog, keys: readonly string[], members: readonly [string, number, "keeper" | "duplicate"][]): void {
  cat.tx(() => {
    cat.stmt("DELETE FROM groups WHERE type = 'duplicate'").run();
    cat.stmt("INSERT OR IGNORE INTO groups (type, key) SELECT 'duplicate', value FROM json_each(?)").run(JSON.stringify(keys));
    cat
      .stmt(
        `INSERT OR IGNORE INTO group_members (group_id, item_id, role)
         SELECT g.id, m.value ->> 1, m.value ->> 2 FROM json_each(?) AS m
         CROSS JOIN groups g ON g.type = 'duplicate' AND g.key = m.value ->> 0 -- json outer: one index lookup per member`,
      )
      .run(JSON.stringify(members));
  });
}

/** Count new content: present items not archived now, by content, with items.sha256 and the one "archived" rule. */
export function newContentCount(cat: Catalog): NewContent {
  return cat
    .stmt(
      `WITH done AS (
         SELECT DISTINCT o.sha256 FROM jobs j JOIN items o ON o.id = j.item_id
         WHERE ${archivedNowSql("j", "o")} AND o.sha256 IS NOT NULL),
       cls AS (
         SELECT i.size, i.sha256,
           CASE WHEN ${ARCHIVED} THEN 'archived'
                WHEN i.sha256 IS NOT NULL AND i.sha256 IN (SELECT sha256 FROM done) THEN 'content'
                WHEN EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id
                             JOIN group_members k ON k.group_id = g.id AND k.role = 'keeper' JOIN items ki ON ki.id = k.item_id
                             WHERE gm.item_id = i.id AND gm.role = 'duplicate' AND ${currentGroupSql("g", "i", "ki")}) THEN 'dup'
                WHEN i.error IS NOT NULL THEN 'unreadable' -- cannot be archived: not new content (accepted or unresolved elsewhere)
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
}

/** Start a walk of the archive's own folders: a temporary table of its files (emptied). */
export function beginArchiveWalk(cat: Catalog): void {
  cat.db.exec(
    `CREATE TEMP TABLE IF NOT EXISTS dedupe_walk (id INTEGER PRIMARY KEY, rel TEXT NOT NULL, size INTEGER NOT NULL, mtime_ms INTEGER NOT NULL, dev INTEGER NOT NULL, ino INTEGER NOT NULL);
     DELETE FROM dedupe_walk;
     CREATE INDEX IF NOT EXISTS temp.dedupe_walk_size ON dedupe_walk(size);`,
  );
}

/** Add walked files: [workspace-relative path, size, mtime ms, dev, ino], in one transaction. */
export function addArchiveWalkFiles(cat: Catalog, rows: readonly [string, number, number, number, number][]): void {
  const insert = cat.stmt("INSERT INTO dedupe_walk (rel, size, mtime_ms, dev, ino) VALUES (?, ?, ?, ?, ?)");
  cat.tx(() => {
    for (const r of rows) insert.run(...r);
  });
}

/** One page of sizes shared by two or more walked files (ascending, after `afterSize`, at least `minSize`). */
export function archiveWalkSizes(cat: Catalog, minSize: number, afterSize: number, limit = 512): number[] {
  return cat
    .stmt("SELECT size FROM dedupe_walk WHERE size >= ? AND size > ? GROUP BY size HAVING COUNT(*) > 1 ORDER BY size LIMIT ?")
    .pluck()
    .all(minSize, afterSize, limit) as number[];
}

/** The walked files of one size, with the item whose finished job wrote each (for the keeper rule). */
export function archiveWalkOfSize(cat: Catalog, size: number): ArchiveWalkRow[] {
  return cat
    .stmt(
      `SELECT w.*, j.item_id AS item_id, CASE WHEN i.capture_source = 'mtime' THEN NULL ELSE i.capture_utc_ms END AS capture_utc_ms,
         j.item_id IN (SELECT item_id FROM album_items) AS in_album
       FROM dedupe_walk w
       LEFT JOIN jobs j ON j.output_rel = w.rel AND j.status = 'done'
       LEFT JOIN items i ON i.id = j.item_id
       WHERE w.size = ? GROUP BY w.id ORDER BY w.id`,
    )
    .all(size) as ArchiveWalkRow[];
}

/** End the archive walk (the temporary table emptied). */
export function endArchiveWalk(cat: Catalog): void {
  cat.db.exec("DELETE FROM dedupe_walk");
}
