// Catalog queries: scan (items as the walk finds them, changed and missing files). The hashing of
// files that may already be archived uses duplicates.ts (`possiblyArchivedPage`). Owner: scan package.
import type { Catalog } from "./db.js";
import type { ItemRecord, ScannedIdentity } from "./schema.js";

/** The catalogued identity of a source file, or undefined when it is new. */
export function scannedItem(cat: Catalog, sourceId: number, relPath: string): ScannedIdentity | undefined {
  return cat.stmt("SELECT id, size, mtime_ms, ino FROM items WHERE source_id = ? AND rel_path = ?").get(sourceId, relPath) as
    | ScannedIdentity
    | undefined;
}

/** The columns a scan writes, in `ItemRecord` order. */
const COLUMNS = [
  "rel_path", "name", "dir", "base_stem", "variant", "size", "mtime_ms", "dev", "ino", "format", "kind",
  "capture_local", "capture_offset", "capture_utc_ms", "capture_year", "capture_month", "capture_source",
  "gps_lat", "gps_lon", "make", "model", "lens", "width", "height", "orientation", "rotation",
  "duration", "codec", "bit_depth", "hdr", "icc", "content_id", "burst_id", "needs_conversion", "error", "ext_mismatch",
] as const satisfies readonly (keyof ItemRecord)[];

// A re-read file is new content: its SHA-256 and any acceptance of its old unreadable reason go.
const UPSERT_SQL = `INSERT INTO items (source_id, ${COLUMNS.join(", ")}, scanned_at, last_seen_scan, missing, sha256)
  VALUES (@source_id, ${COLUMNS.map((c) => "@" + c).join(", ")}, @scanned_at, @last_seen_scan, 0, NULL)
  ON CONFLICT (source_id, rel_path) DO UPDATE SET
  ${COLUMNS.filter((c) => c !== "rel_path").map((c) => `${c} = excluded.${c}`).join(", ")},
  scanned_at = excluded.scanned_at, last_seen_scan = excluded.last_seen_scan, missing = 0, sha256 = NULL, accepted_at = NULL
  RETURNING id`;

/**
 * Write one batch of a scan in one transaction: records of files read now (inserted, or replacing
 * the old record of a changed file) and ids of files found unchanged. `onChanged` runs inside the
 * transaction for every item whose content was re-read (scan uses it to drop stale duplicate state).
 */
export function writeScanBatch(
  cat: Catalog,
  sourceId: number,
  scanRun: number,
  batch: { records: readonly ItemRecord[]; unchanged: readonly number[] },
  onChanged?: (itemId: number) => void,
): void {
  if (!batch.records.length && !batch.unchanged.length) return;
  const now = new Date().toISOString();
  const upsert = cat.stmt(UPSERT_SQL);
  const touch = cat.stmt("UPDATE items SET last_seen_scan = ?, missing = 0 WHERE id = ?");
  cat.tx(() => {
    for (const r of batch.records) {
      const { id } = upsert.get({ ...r, source_id: sourceId, scanned_at: now, last_seen_scan: scanRun }) as { id: number };
      onChanged?.(id);
    }
    for (const id of batch.unchanged) touch.run(scanRun, id);
  });
}

/** Mark the source's items this scan did not see as missing (kept in the catalog); returns how many. */
export function markMissingItems(cat: Catalog, sourceId: number, scanRun: number): number {
  return cat
    .stmt("UPDATE items SET missing = 1 WHERE source_id = ? AND (last_seen_scan IS NULL OR last_seen_scan <> ?) AND missing = 0")
    .run(sourceId, scanRun).changes;
}

/** Present items of a source that cannot be archived, with the reason, by path (streamed). */
export function itemErrors(cat: Catalog, sourceId: number): IterableIterator<{ path: string; reason: string }> {
  return cat
    .stmt("SELECT rel_path AS path, error AS reason FROM items WHERE source_id = ? AND error IS NOT NULL AND missing = 0 ORDER BY rel_path")
    .iterate(sourceId) as IterableIterator<{ path: string; reason: string }>;
}

/**
 * Record that an item turned out unreadable after the scan (convert found its image data
 * damaged): from now on it is unresolved like a file plan could not read, named in every summary
 * until fixed and planned again or accepted with --accept-unreadable. Only while the file is
 * still the one catalogued (size and mtime).
 */
export function markItemUnreadable(cat: Catalog, itemId: number, reason: string, size: number, mtimeMs: number): boolean {
  return cat.stmt("UPDATE items SET error = ? WHERE id = ? AND size = ? AND mtime_ms = ? AND error IS NULL").run(reason, itemId, size, mtimeMs).changes === 1;
}
