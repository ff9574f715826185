// Catalog queries of the manifest and of `verify` (the archive's own outputs, completeness,
// metadata parity) — owner: verify package. Every query streams: results grow with the library.
import type { Catalog } from "./db.js";
import { sameSourceSql } from "./duplicates-sql.js";
import { exportCsvSql } from "./export.js";
import type { ArchivedOutputRow, CompletenessRow, LiveMemberRow, ParityRow } from "./schema.js";

/**
 * Every file the archive itself wrote, from the job journal (streamed, sorted by path): each
 * finished job's output with the SHA-256 convert recorded after writing it, and the byte-exact
 * original kept with --keep-originals (`params.original`), whose hash is the job's
 * `params.originalSha256` when recorded, else the source item's SHA-256 while the job still
 * describes the source's current content (duplicates.ts rule; the original is a copy of it).
 * The organisation sidecar written beside a byte-exact copy (`params.sidecar`, hashed as
 * `params.sidecarSha256`) is the archive's too.
 * `sha256` is null where the journal recorded no hash (a job written by an older version).
 * Older outputs kept when a source changed after it was archived (`kept_outputs`) keep their lines.
 */
export function archivedOutputs(cat: Catalog): IterableIterator<ArchivedOutputRow> {
  return cat
    .stmt(
      `SELECT rel, itemId, sha256, size FROM (
         SELECT j.output_rel AS rel, j.item_id AS itemId, lower(j.output_sha256) AS sha256, j.output_size AS size
         FROM jobs j WHERE j.status = 'done' AND j.output_rel IS NOT NULL
         UNION ALL
         SELECT json_extract(j.params, '$.original') AS rel, j.item_id AS itemId,
           lower(COALESCE(json_extract(j.params, '$.originalSha256'),
             CASE WHEN ${sameSourceSql("j", "i")} THEN i.sha256 END)) AS sha256,
           NULL AS size
         FROM jobs j JOIN items i ON i.id = j.item_id
         WHERE j.status = 'done' AND json_valid(j.params) AND typeof(json_extract(j.params, '$.original')) = 'text'
         UNION ALL
         SELECT json_extract(j.params, '$.sidecar'), j.item_id, lower(json_extract(j.params, '$.sidecarSha256')), NULL
         FROM jobs j WHERE j.status = 'done' AND json_valid(j.params) AND typeof(json_extract(j.params, '$.sidecar')) = 'text'
         UNION ALL
         SELECT k.output_rel, k.item_id, lower(k.output_sha256), k.output_size FROM kept_outputs k
         UNION ALL
         SELECT json_extract(k.params, '$.original'), k.item_id, lower(json_extract(k.params, '$.originalSha256')), NULL
         FROM kept_outputs k WHERE json_valid(k.params) AND typeof(json_extract(k.params, '$.original')) = 'text'
         UNION ALL
         SELECT json_extract(k.params, '$.sidecar'), k.item_id, lower(json_extract(k.params, '$.sidecarSha256')), NULL
         FROM kept_outputs k WHERE json_valid(k.params) AND typeof(json_extract(k.params, '$.sidecar')) = 'text')
       ORDER BY rel`,
    )
    .iterate() as IterableIterator<ArchivedOutputRow>;
}

/** A completeness row with the export's marks: deleted in Apple Photos, or one of the export's CSVs (1/0). */
export interface CompletenessItemRow extends CompletenessRow {
  deleted: number;
  exportCsv: number;
}

/**
 * Every source item still in the library with its job (if any) and, for a job recorded as a
 * duplicate, the item it names and that item's job (streamed, by item id).
 */
export function completenessRows(cat: Catalog): IterableIterator<CompletenessItemRow> {
  return cat
    .stmt(
      `SELECT i.id, i.rel_path AS relPath, s.root, i.kind, i.error, i.deleted, ${exportCsvSql("i")} AS exportCsv,
         j.action, j.status, j.output_rel AS outputRel, lower(j.output_sha256) AS outputSha256, j.params, j.reason,
         j.duplicate_of AS duplicateOf, o.id IS NOT NULL AS origKnown, o.rel_path AS origRelPath,
         oj.status AS origStatus, oj.output_rel AS origOutputRel
       FROM items i JOIN sources s ON s.id = i.source_id
       LEFT JOIN jobs j ON j.item_id = i.id
       LEFT JOIN items o ON o.id = j.duplicate_of
       LEFT JOIN jobs oj ON oj.item_id = o.id
       WHERE i.missing = 0 ORDER BY i.id`,
    )
    .iterate() as IterableIterator<CompletenessItemRow>;
}

/** Members of Live Photo groups among present items (streamed, grouped by key). */
export function livePhotoMembers(cat: Catalog): IterableIterator<LiveMemberRow> {
  return cat
    .stmt(
      `SELECT g.key, gm.item_id AS itemId, i.rel_path AS relPath FROM groups g
       JOIN group_members gm ON gm.group_id = g.id JOIN items i ON i.id = gm.item_id
       WHERE g.type = 'live' AND i.missing = 0 ORDER BY g.id, gm.item_id`,
    )
    .iterate() as IterableIterator<LiveMemberRow>;
}

/** Converted items (action 'convert', done) with the catalog fields metadata parity compares (streamed). */
export function parityRows(cat: Catalog): IterableIterator<ParityRow> {
  return cat
    .stmt(
      `SELECT i.id, i.rel_path, s.root, i.kind, i.capture_local, i.capture_offset, i.gps_lat, i.gps_lon, i.make, i.model,
         i.width, i.height, i.orientation, i.rotation, i.duration, i.content_id, j.output_rel, j.params
       FROM items i JOIN sources s ON s.id = i.source_id JOIN jobs j ON j.item_id = i.id
       WHERE i.missing = 0 AND j.status = 'done' AND j.action = 'convert' AND j.output_rel IS NOT NULL ORDER BY i.id`,
    )
    .iterate() as IterableIterator<ParityRow>;
}
