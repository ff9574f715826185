// Catalog queries: Apple privacy-export parts (issue 10) — owner: the export reader
// (packages/scan/src/apple-export.ts). Zip member locations, parts recognised by their Photo
// Details CSV, every CSV column per item, albums/memories/shared albums, CSV rows without a file.
import type { CaptureTime } from "../time.js";
import type { Catalog } from "./db.js";

/** Albums (Albums/*.csv), memories (Memories/*.csv), shared albums (My Albums/<name>/ in a nested zip). */
export type CollectionKind = "album" | "memory" | "shared";

/** Where a zip member item lives; null fields for a plain file. */
export interface ItemLocation {
  container: string | null;
  nested: string | null;
  member: string | null;
}

/** The CSV columns of one Photo Details row, as stored on its item. */
export interface DetailValues {
  checksum: string | null;
  favorite: boolean;
  hidden: boolean;
  deleted: boolean;
  viewCount: number | null;
  importedUtcMs: number | null;
  /** originalCreationDate: used only where the file records no date of its own. */
  created: CaptureTime | null;
}

/** One export part as plan reports it. */
export interface ExportPartSummary {
  source: string;
  scope: string;
  label: string;
  files: number;
  csvNamed: number;
  deleted: number;
  favorites: number;
  hidden: number;
}

/** A CSV row that names no file of its part (or, for albums and memories, of any part). */
export interface OrphanRow {
  part: string;
  csv: string;
  line: number;
  name: string;
  detail: string | null;
}

/** Why an export's CSV is not archived: it is the export's metadata (read into the catalog), not a photo. */
export const EXPORT_CSV_REASON = "Apple export metadata (CSV)";

/** SQL condition on the items alias `a`: a CSV of a recognised export part (accounted for, never converted). */
export const exportCsvSql = (a: string): string => `(${a}.export_part IS NOT NULL AND lower(${a}.name) LIKE '%.csv')`;

/** An empty CSV of an export part is an empty album (or a part with no rows), not an unreadable file. */
export function clearEmptyExportCsvErrors(cat: Catalog): number {
  return cat.stmt(`UPDATE items SET error = NULL WHERE format = 'empty' AND error IS NOT NULL AND ${exportCsvSql("items")}`).run().changes;
}

/** Record that the item at `relPath` is a zip member (or, with nulls, a plain file). */
export function setItemLocation(cat: Catalog, sourceId: number, relPath: string, loc: ItemLocation): void {
  cat
    .stmt("UPDATE items SET container = ?, nested = ?, member = ? WHERE source_id = ? AND rel_path = ?")
    .run(loc.container, loc.nested, loc.member, sourceId, relPath);
}

/** The zip location of an item, or null for a plain file. */
export function itemLocation(cat: Catalog, itemId: number): ItemLocation | null {
  const r = cat.stmt("SELECT container, nested, member FROM items WHERE id = ?").get(itemId) as ItemLocation | undefined;
  return r && r.container !== null ? r : null;
}

const IN_SCOPE = "(? = '' OR substr(rel_path, 1, length(?) + 1) = ? || '/')";

/**
 * The part whose Photo Details CSV sits in `scope` (a folder of `sourceId`): created on first
 * sight; its items (every file under `scope`, nested zips excepted) are tagged with it and their
 * CSV columns cleared, so a re-plan applies the CSVs as they are now.
 */
export function openExportPart(cat: Catalog, sourceId: number, scope: string, label: string): number {
  return cat.tx(() => {
    const row = cat
      .stmt(
        `INSERT INTO export_parts (source_id, scope, label) VALUES (?, ?, ?)
         ON CONFLICT (source_id, scope) DO UPDATE SET label = excluded.label RETURNING id`,
      )
      .get(sourceId, scope, label) as { id: number };
    cat.stmt("DELETE FROM export_orphan_rows WHERE part_id = ?").run(row.id);
    cat
      .stmt(
        `UPDATE items SET export_part = ?, csv_named = 0, favorite = 0, hidden = 0, deleted = 0, csv_checksum = NULL,
         view_count = NULL, imported_utc_ms = NULL
         WHERE source_id = ? AND missing = 0 AND nested IS NULL AND ${IN_SCOPE}`,
      )
      .run(row.id, sourceId, scope, scope, scope);
    return row.id;
  });
}

/** Items of a part with this file name (Photos/ first, then Recently Deleted/, then the rest). */
export function partItemsNamed(cat: Catalog, partId: number, name: string): { id: number; rel_path: string }[] {
  return cat
    .stmt(
      `SELECT id, rel_path FROM items WHERE export_part = ? AND name = ? AND missing = 0
       ORDER BY (dir LIKE '%/Recently Deleted' OR dir = 'Recently Deleted'), rel_path`,
    )
    .all(partId, name) as { id: number; rel_path: string }[];
}

/** Items of any export part with this file name (album and memory CSVs name files of every part). */
export function exportItemsNamed(cat: Catalog, name: string): { id: number; part: number }[] {
  return cat
    .stmt("SELECT id, export_part AS part FROM items WHERE export_part IS NOT NULL AND name = ? AND missing = 0 ORDER BY id")
    .all(name) as { id: number; part: number }[];
}

/** Store one Photo Details row on its item; the CSV date only replaces a guessed capture time. */
export function applyDetailRow(cat: Catalog, itemId: number, v: DetailValues): void {
  cat
    .stmt(
      `UPDATE items SET csv_named = 1, csv_checksum = ?, favorite = ?, hidden = ?, deleted = max(deleted, ?),
       view_count = ?, imported_utc_ms = ? WHERE id = ?`,
    )
    .run(v.checksum, v.favorite ? 1 : 0, v.hidden ? 1 : 0, v.deleted ? 1 : 0, v.viewCount, v.importedUtcMs, itemId);
  const c = v.created;
  if (!c) return;
  cat
    .stmt(
      `UPDATE items SET capture_local = ?, capture_offset = ?, capture_utc_ms = ?, capture_year = ?, capture_month = ?,
       capture_source = 'csv' WHERE id = ? AND (capture_source IS NULL OR capture_source IN ('filename', 'mtime', 'csv'))`,
    )
    .run(c.local, c.offset, c.utcMs, c.year, c.month, itemId);
}

/** Mark every item under the part's `Recently Deleted/` folder deleted; returns how many. */
export function markRecentlyDeleted(cat: Catalog, partId: number, scope: string): number {
  const dir = scope ? `${scope}/Recently Deleted` : "Recently Deleted";
  return cat
    .stmt(`UPDATE items SET deleted = 1 WHERE export_part = ? AND (dir = ? OR substr(dir, 1, length(?) + 1) = ? || '/')`)
    .run(partId, dir, dir, dir).changes;
}

/** Remember a CSV row that names no file. */
export function addOrphanRow(cat: Catalog, partId: number, csv: string, line: number, name: string, detail: string | null): void {
  cat
    .stmt("INSERT OR REPLACE INTO export_orphan_rows (part_id, csv, line, name, detail) VALUES (?, ?, ?, ?, ?)")
    .run(partId, csv, line, name, detail);
}

/** Forget every collection membership (they are rebuilt from the CSVs and folders at each plan). */
export function clearCollections(cat: Catalog): void {
  cat.stmt("DELETE FROM collection_items").run();
}

/**
 * Add items to a collection. Albums are mirrored into the older `albums` table, which
 * `convert --album` and the plan summary read.
 */
export function addToCollection(cat: Catalog, kind: CollectionKind, name: string, itemIds: readonly number[]): void {
  const { id } = cat
    .stmt("INSERT INTO collections (kind, name) VALUES (?, ?) ON CONFLICT (kind, name) DO UPDATE SET name = excluded.name RETURNING id")
    .get(kind, name) as { id: number };
  for (const item of itemIds) cat.stmt("INSERT OR IGNORE INTO collection_items (collection_id, item_id) VALUES (?, ?)").run(id, item);
  if (kind !== "album") return;
  const album = cat
    .stmt("INSERT INTO albums (name) VALUES (?) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id")
    .get(name) as { id: number };
  for (const item of itemIds) cat.stmt("INSERT OR IGNORE INTO album_items (album_id, item_id) VALUES (?, ?)").run(album.id, item);
}

/** Items whose path has a `My Albums/<album>/` folder below a shared-albums zip or folder. */
export function* sharedAlbumCandidates(cat: Catalog): IterableIterator<{ id: number; rel_path: string; nested: string | null }> {
  yield* cat.iterate<{ id: number; rel_path: string; nested: string | null }>(
    "SELECT id, rel_path, nested FROM items WHERE missing = 0 AND rel_path LIKE '%My Albums/%' ORDER BY id",
  );
}

/** A CSV the scan catalogued (a file, or a member of a zip part), for the export reader. */
export interface CsvItem {
  sourceId: number;
  root: string;
  relPath: string;
  container: string | null;
  member: string | null;
}

/** Every CSV of every source (nested-zip members excepted), by source and path. */
export function csvItems(cat: Catalog): CsvItem[] {
  return cat
    .stmt(
      `SELECT i.source_id AS sourceId, s.root, i.rel_path AS relPath, i.container, i.member
       FROM items i JOIN sources s ON s.id = i.source_id
       WHERE i.missing = 0 AND i.nested IS NULL AND lower(i.name) LIKE '%.csv'
       ORDER BY i.source_id, i.rel_path`,
    )
    .all() as CsvItem[];
}

/** Every export part with its counts, in source and scope order. */
export function exportParts(cat: Catalog): ExportPartSummary[] {
  return cat
    .stmt(
      `SELECT s.root AS source, p.scope, p.label,
         (SELECT count(*) FROM items i WHERE i.export_part = p.id AND i.missing = 0) AS files,
         (SELECT count(*) FROM items i WHERE i.export_part = p.id AND i.missing = 0 AND i.csv_named = 1) AS csvNamed,
         (SELECT count(*) FROM items i WHERE i.export_part = p.id AND i.missing = 0 AND i.deleted = 1) AS deleted,
         (SELECT count(*) FROM items i WHERE i.export_part = p.id AND i.missing = 0 AND i.favorite = 1) AS favorites,
         (SELECT count(*) FROM items i WHERE i.export_part = p.id AND i.missing = 0 AND i.hidden = 1) AS hidden
       FROM export_parts p JOIN sources s ON s.id = p.source_id
       WHERE EXISTS (SELECT 1 FROM items i WHERE i.export_part = p.id AND i.missing = 0)
       ORDER BY s.root, p.scope`,
    )
    .all() as ExportPartSummary[];
}

/** CSV rows that name no file, per part (at most `limit`, oldest part first). */
export function orphanRows(cat: Catalog, limit = 1000): OrphanRow[] {
  return cat
    .stmt(
      `SELECT CASE WHEN p.scope = '' THEN s.root ELSE s.root || '/' || p.scope END AS part, o.csv, o.line, o.name, o.detail
       FROM export_orphan_rows o JOIN export_parts p ON p.id = o.part_id JOIN sources s ON s.id = p.source_id
       ORDER BY s.root, p.scope, o.csv, o.line LIMIT ?`,
    )
    .all(limit) as OrphanRow[];
}

/** The number of CSV rows without a file. */
export function orphanRowCount(cat: Catalog): number {
  return (cat.stmt("SELECT count(*) AS n FROM export_orphan_rows").get() as { n: number }).n;
}

/** Photos and videos of an export part that no Photo Details row names (at most `limit`). */
export function filesWithoutCsvRow(cat: Catalog, limit = 1000): { path: string }[] {
  return cat
    .stmt(
      `SELECT s.root || '/' || i.rel_path AS path FROM items i JOIN sources s ON s.id = i.source_id
       WHERE i.export_part IS NOT NULL AND i.csv_named = 0 AND i.missing = 0 AND i.kind IN ('photo', 'video', 'raw')
       ORDER BY s.root, i.rel_path LIMIT ?`,
    )
    .all(limit) as { path: string }[];
}

/** What `archive list` shows of an item's export organisation. */
export interface ItemOrganisation {
  favorite: boolean;
  hidden: boolean;
  deleted: boolean;
  collections: { kind: CollectionKind; name: string }[];
}

/** Favorite, hidden, deleted and collections of one item. */
export function itemOrganisation(cat: Catalog, itemId: number): ItemOrganisation {
  const r = cat.stmt("SELECT favorite, hidden, deleted FROM items WHERE id = ?").get(itemId) as
    | { favorite: number; hidden: number; deleted: number }
    | undefined;
  const collections = cat
    .stmt(
      `SELECT c.kind, c.name FROM collection_items ci JOIN collections c ON c.id = ci.collection_id
       WHERE ci.item_id = ? ORDER BY c.kind, c.name`,
    )
    .all(itemId) as { kind: CollectionKind; name: string }[];
  return { favorite: r?.favorite === 1, hidden: r?.hidden === 1, deleted: r?.deleted === 1, collections };
}

/** The capture time Apple's CSV gave an item whose file records no date of its own, else null. */
export function itemCsvCapture(cat: Catalog, itemId: number): CaptureTime | null {
  const r = cat
    .stmt(
      `SELECT capture_local AS local, capture_offset AS offset, capture_utc_ms AS utcMs, capture_year AS year,
       capture_month AS month FROM items WHERE id = ? AND capture_source = 'csv' AND capture_local IS NOT NULL`,
    )
    .get(itemId) as CaptureTime | undefined;
  return r ?? null;
}

/** The export's accounting for plan and report: parts, and what does not join up. */
export interface ExportLedger {
  parts: ExportPartSummary[];
  /** CSV rows that name no file (the first 1,000), and how many there are. */
  rowsWithoutFile: OrphanRow[];
  rowsWithoutFileCount: number;
  /** Photos/videos of a part that no Photo Details row names (the first 1,000), and how many. */
  filesWithoutRow: { path: string }[];
  filesWithoutRowCount: number;
}

/** The export ledger, or null when no source holds an Apple export part. */
export function exportLedger(cat: Catalog): ExportLedger | null {
  const parts = exportParts(cat);
  if (!parts.length) return null;
  const unnamed = cat
    .stmt(
      `SELECT count(*) AS n FROM items WHERE export_part IS NOT NULL AND csv_named = 0 AND missing = 0
       AND kind IN ('photo', 'video', 'raw')`,
    )
    .get() as { n: number };
  return {
    parts,
    rowsWithoutFile: orphanRows(cat),
    rowsWithoutFileCount: orphanRowCount(cat),
    filesWithoutRow: filesWithoutCsvRow(cat),
    filesWithoutRowCount: unnamed.n,
  };
}
