// THE one answer to "is this item a current duplicate?", "is this content already archived?" and
// "does the journal describe the item's current content?" (issue 12: the question was answered in
// three places that disagreed, and an edited former duplicate was never archived). Used by scan
// (content already archived), convert (resolve-duplicate), dedupe (keeper facts, new content)
// and verify (completeness). Owner: convert package.
import type { Catalog } from "./db.js";
import { archivedNowSql, currentGroupSql, jobCurrentSql, sameSourceSql } from "./duplicates-sql.js";

/** An item that duplicates another according to a current dedupe group. */
export interface DuplicateOf {
  /** The group's keeper: the item whose copy is (or will be) in the archive. */
  keeperId: number;
  sha256: string;
  /** The keeper's own output (workspace-relative) while it holds the keeper's current bytes. */
  keeperOutput: string | null;
}

/** An item whose own finished job archived given bytes, and that output. */
export interface ArchivedCopy {
  itemId: number;
  output: string | null;
}

/**
 * The keeper of `itemId`'s duplicate group, or null when the item is not a *current* duplicate:
 * both the item's and the keeper's SHA-256 must be known and equal to the group's now. A re-scan
 * of a changed file clears its SHA-256, so a stale group never answers.
 */
export function currentDuplicateOf(cat: Catalog, itemId: number): DuplicateOf | null {
  const row = cat
    .stmt(
      `SELECT k.item_id AS keeperId, g.key AS sha256,
         (SELECT j.output_rel FROM jobs j WHERE j.item_id = ki.id AND ${archivedNowSql("j", "ki")}) AS keeperOutput
       FROM group_members d
       JOIN groups g ON g.id = d.group_id
       JOIN group_members k ON k.group_id = g.id AND k.role = 'keeper'
       JOIN items di ON di.id = d.item_id
       JOIN items ki ON ki.id = k.item_id
       WHERE d.item_id = ? AND d.role = 'duplicate' AND ${currentGroupSql("g", "di", "ki")}
       LIMIT 1`,
    )
    .get(itemId) as DuplicateOf | undefined;
  return row ?? null;
}

/**
 * An item (other than `exceptItem`) whose own output holds exactly these bytes now (same SHA-256
 * and size, its job current), or null. With `pendingRun`, a job that run has reserved but not yet
 * finished also counts (two identical files converted concurrently archive one copy).
 */
export function archivedOutputFor(
  cat: Catalog,
  sha256: string,
  size: number,
  opts: { exceptItem?: number; pendingRun?: number } = {},
): ArchivedCopy | null {
  const row = cat
    .stmt(
      `SELECT o.id AS itemId, j.output_rel AS output FROM items o JOIN jobs j ON j.item_id = o.id
       WHERE o.sha256 = ? AND o.size = ? AND o.id <> ?
         AND (${archivedNowSql("j", "o")} OR (j.status = 'pending' AND j.action <> 'duplicate' AND j.run_id = ?))
       ORDER BY o.id LIMIT 1`,
    )
    .get(sha256, size, opts.exceptItem ?? -1, opts.pendingRun ?? -1) as ArchivedCopy | undefined;
  return row ?? null;
}

/** Another item already archived with the same bytes as `itemId` now (any name, any export), or null. */
export function archivedCopyOf(cat: Catalog, itemId: number): ArchivedCopy | null {
  const it = cat.stmt("SELECT sha256, size FROM items WHERE id = ?").get(itemId) as { sha256: string | null; size: number } | undefined;
  if (!it?.sha256) return null;
  return archivedOutputFor(cat, it.sha256, it.size, { exceptItem: itemId });
}

/** Whether an item's current content is in the archive, according to the journal. */
export type CurrentArchive =
  | { archived: true; byItem: number; output: string | null }
  | { archived: false; reason: string };

/**
 * Is `itemId`'s current content in an output? Its own finished job counts only when journalled
 * for the item's current size and mtime; a 'duplicate' job counts only while the item's SHA-256
 * is known and another item's current output holds those bytes.
 */
export function currentArchiveOf(cat: Catalog, itemId: number): CurrentArchive {
  const row = cat
    .stmt(
      `SELECT i.sha256, i.size, j.action, j.status, j.output_rel, ${jobCurrentSql("j", "i")} AS current
       FROM items i LEFT JOIN jobs j ON j.item_id = i.id WHERE i.id = ?`,
    )
    .get(itemId) as { sha256: string | null; size: number; action: string | null; status: string | null; output_rel: string | null; current: number | null } | undefined;
  if (!row) return { archived: false, reason: "not in the catalog" };
  if (row.status !== "done") return { archived: false, reason: row.status === null ? "no job yet" : `job ${row.status}` };
  if (!row.current) return { archived: false, reason: "the source changed after it was archived" };
  if (row.action !== "duplicate") return { archived: true, byItem: itemId, output: row.output_rel };
  const copy = row.sha256 ? archivedOutputFor(cat, row.sha256, row.size, { exceptItem: itemId }) : null;
  return copy
    ? { archived: true, byItem: copy.itemId, output: copy.output }
    : { archived: false, reason: "recorded as a duplicate, but no archived output holds its current bytes" };
}

/** A present item whose finished job no longer describes its current content. */
export interface StaleJob {
  itemId: number;
  relPath: string;
  reason: string;
}

/**
 * Present items with a finished job whose current content is in no output (streamed): the source
 * changed after it was archived, or it is recorded as a duplicate of bytes no current output holds.
 * What `verify --complete` must fail and the next `convert` redoes.
 */
export function staleJobs(cat: Catalog): IterableIterator<StaleJob> {
  const copyNow = `EXISTS (SELECT 1 FROM items o JOIN jobs oj ON oj.item_id = o.id
    WHERE o.sha256 = i.sha256 AND o.size = i.size AND o.id <> i.id AND ${archivedNowSql("oj", "o")})`;
  return cat
    .stmt(
      `SELECT i.id AS itemId, i.rel_path AS relPath,
         CASE WHEN NOT ${jobCurrentSql("j", "i")} THEN 'the source changed after it was archived'
              ELSE 'recorded as a duplicate, but no archived output holds its current bytes' END AS reason
       FROM items i JOIN jobs j ON j.item_id = i.id
       WHERE i.missing = 0 AND j.status = 'done'
         AND (NOT ${jobCurrentSql("j", "i")} OR (j.action = 'duplicate' AND (i.sha256 IS NULL OR NOT ${copyNow})))
       ORDER BY i.id`,
    )
    .iterate() as IterableIterator<StaleJob>;
}

/**
 * Record an item's SHA-256, only while the file still matches its catalogued size and mtime (and
 * inode when given): a hash of bytes the catalog no longer describes must never be stored.
 */
export function recordContentHash(cat: Catalog, itemId: number, sha256: string, size: number, mtimeMs: number, ino?: number | null): boolean {
  const r =
    ino === undefined
      ? cat.stmt("UPDATE items SET sha256 = ? WHERE id = ? AND size = ? AND mtime_ms = ?").run(sha256, itemId, size, mtimeMs)
      : cat.stmt("UPDATE items SET sha256 = ? WHERE id = ? AND size = ? AND mtime_ms = ? AND ino IS ?").run(sha256, itemId, size, mtimeMs, ino);
  return r.changes > 0;
}

/** True when any item's current content is archived (nothing can match an empty archive). */
export function hasArchivedContent(cat: Catalog): boolean {
  return cat.stmt(`SELECT 1 FROM jobs j JOIN items i ON i.id = j.item_id WHERE ${archivedNowSql("j", "i")} LIMIT 1`).get() !== undefined;
}

/** A present, readable item not archived now whose SHA-256 is unknown. */
export interface UnhashedItem {
  id: number;
  size: number;
  mtime_ms: number;
  root: string;
  rel_path: string;
}

/**
 * One page (ids after `afterId`) of present items not archived now, SHA-256 unknown, whose size
 * equals the size of some archived content: the only files that can be "already archived" under
 * another name, so the only ones worth hashing before convert.
 */
export function possiblyArchivedPage(cat: Catalog, afterId: number, limit = 500): UnhashedItem[] {
  return cat
    .stmt(
      `SELECT i.id, i.size, i.mtime_ms, s.root, i.rel_path FROM items i JOIN sources s ON s.id = i.source_id
       WHERE i.missing = 0 AND i.error IS NULL AND i.sha256 IS NULL AND i.size > 0
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.item_id = i.id AND ${jobCurrentSql("j", "i")})
         AND i.size IN (SELECT a.size FROM items a JOIN jobs j ON j.item_id = a.id WHERE ${archivedNowSql("j", "a")})
         AND i.id > ? ORDER BY i.id LIMIT ?`,
    )
    .all(afterId, limit) as UnhashedItem[];
}

/**
 * Forget an item's memberships in dedupe ('duplicate') groups: its content changed, so no group
 * it was in describes it now (scan calls this for every re-read item). Groups left with fewer
 * than two members are dropped.
 */
export function forgetDuplicateState(cat: Catalog, itemId: number): void {
  const groups = cat
    .stmt("SELECT gm.group_id AS id FROM group_members gm JOIN groups g ON g.id = gm.group_id AND g.type = 'duplicate' WHERE gm.item_id = ?")
    .all(itemId) as { id: number }[];
  if (!groups.length) return;
  cat.stmt("DELETE FROM group_members WHERE item_id = ? AND group_id IN (SELECT id FROM groups WHERE type = 'duplicate')").run(itemId);
  for (const g of groups) {
    cat.stmt("DELETE FROM groups WHERE id = ? AND (SELECT COUNT(*) FROM group_members WHERE group_id = ?) < 2").run(g.id, g.id);
  }
}

/** A present item whose archived output holds content the source no longer has. */
export interface ChangedSinceArchived {
  itemId: number;
  relPath: string;
  /** The output holding the earlier content (kept; the next convert archives the new content beside it). */
  output: string;
}

/**
 * Present items whose own archived output no longer describes the source (it changed after it was
 * archived: edited, or rotted in the library), streamed. Convert keeps that output and archives
 * the new content under a new name; `plan` and `convert` name each one.
 */
export function changedSinceArchived(cat: Catalog): IterableIterator<ChangedSinceArchived> {
  return cat
    .stmt(
      `SELECT i.id AS itemId, i.rel_path AS relPath, j.output_rel AS output
       FROM items i JOIN jobs j ON j.item_id = i.id
       WHERE i.missing = 0 AND j.status = 'done' AND j.action <> 'duplicate' AND j.output_rel IS NOT NULL
         AND NOT ${sameSourceSql("j", "i")}
       ORDER BY i.id`,
    )
    .iterate() as IterableIterator<ChangedSinceArchived>;
}
