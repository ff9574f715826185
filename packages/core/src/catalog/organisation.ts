// Catalog queries: the library's organisation (favorite, hidden, albums, memories, shared albums)
// an archived output should carry, and the outputs whose written organisation is out of date
// (issue 10, item 7: a later export that changes favorites or albums updates the outputs' XMP
// and sidecars). Owner: convert (packages/convert/src/organisation.ts).
//
// The rule: an output holds some content (SHA-256 and size). The present, not-deleted items of
// Apple export parts that hold the same content are its candidates; of those, the items of the
// newest export decide: favorite or hidden when any of them is, and the union of their albums,
// memories and shared albums. "Newest" is the export's own date, not the order parts were
// planned in: the day of a part's newest member (Apple stamps every member with the export's
// time), so the parts of one export (made the same day) count together, and an older export
// planned later never takes back what a newer one set. An output whose content no present export
// item holds keeps what it was written with.
import type { Catalog } from "./db.js";
import type { CollectionKind } from "./export.js";
import { itemCsvCapture } from "./export.js";
import type { CaptureTime } from "../time.js";
import type { JobAction } from "./schema.js";

/** The organisation an output should carry now. */
export interface OutputOrganisation {
  favorite: boolean;
  hidden: boolean;
  collections: { kind: CollectionKind; name: string }[];
  /** Apple's originalCreationDate of the holding item, only when its file has no date of its own. */
  csvDate: CaptureTime | null;
}

/** After a plan's scans: date every export part by its newest member's day (what "newest export" means). */
export function stampExportDays(cat: Catalog): void {
  cat
    .stmt(
      `UPDATE export_parts SET exported_day =
         (SELECT max(i.mtime_ms) / 86400000 FROM items i WHERE i.export_part = export_parts.id AND i.missing = 0)`,
    )
    .run();
}

/** Export items holding the same content as `itemId` (itself included), of the newest export (by its day). */
const CANDIDATES = `
  WITH h AS (SELECT id, sha256, size FROM items WHERE id = @item),
  cand AS (
    SELECT i.id, i.favorite, i.hidden, coalesce(p.exported_day, -1) AS gen
    FROM items i JOIN export_parts p ON p.id = i.export_part, h
    WHERE i.missing = 0 AND i.deleted = 0
      AND (i.id = h.id OR (h.sha256 IS NOT NULL AND i.sha256 = h.sha256 AND i.size = h.size))
  )
  SELECT id, favorite, hidden FROM cand WHERE gen = (SELECT max(gen) FROM cand)`;

/**
 * The organisation the output of `itemId` (the item whose job wrote it) should carry, or null
 * when no present export item holds its content (then the output keeps what it has).
 */
export function outputOrganisation(cat: Catalog, itemId: number): OutputOrganisation | null {
  const rows = cat.stmt(CANDIDATES).all({ item: itemId }) as { id: number; favorite: number; hidden: number }[];
  if (!rows.length) return null;
  const collections = new Map<string, { kind: CollectionKind; name: string }>();
  for (const r of rows) {
    const cs = cat
      .stmt(
        `SELECT c.kind, c.name FROM collection_items ci JOIN collections c ON c.id = ci.collection_id
         WHERE ci.item_id = ? ORDER BY c.kind, c.name`,
      )
      .all(r.id) as { kind: CollectionKind; name: string }[];
    for (const c of cs) collections.set(`${c.kind}\0${c.name}`, c);
  }
  return {
    favorite: rows.some((r) => r.favorite === 1),
    hidden: rows.some((r) => r.hidden === 1),
    collections: [...collections.values()].sort((a, b) => (a.kind + a.name < b.kind + b.name ? -1 : 1)),
    csvDate: itemCsvCapture(cat, itemId),
  };
}

/** True when any catalogued item belongs to an Apple export part (else no output has organisation to update). */
export function hasExportItems(cat: Catalog): boolean {
  return cat.stmt("SELECT 1 FROM items WHERE export_part IS NOT NULL LIMIT 1").get() !== undefined;
}

/** A finished job with an output of its own (converted, copied or linked), for the organisation pass. */
export interface OrganisedJob {
  itemId: number;
  action: Exclude<JobAction, "duplicate">;
  outputRel: string;
  outputSha256: string | null;
  outputSize: number | null;
  params: string | null;
}

/** One page of finished jobs with an output of their own, by item id (page through: the pass writes between pages). */
export function organisedJobsPage(cat: Catalog, afterItemId: number, limit = 500): OrganisedJob[] {
  return cat
    .stmt(
      `SELECT item_id AS itemId, action, output_rel AS outputRel, output_sha256 AS outputSha256, output_size AS outputSize, params
       FROM jobs WHERE item_id > ? AND status = 'done' AND action <> 'duplicate' AND output_rel IS NOT NULL
       ORDER BY item_id LIMIT ?`,
    )
    .all(afterItemId, limit) as OrganisedJob[];
}

/**
 * Record an output rewritten in place with new organisation: its new hash, size and parameters.
 * Only while the job still records `previousSha256` (a concurrent change is never overwritten).
 */
export function recordOrganisedOutput(
  cat: Catalog,
  itemId: number,
  previousSha256: string | null,
  next: { sha256: string; size: number; params: Record<string, unknown> },
): boolean {
  return (
    cat
      .stmt(
        `UPDATE jobs SET output_sha256 = ?, output_size = ?, params = ?, updated_at = ?
         WHERE item_id = ? AND status = 'done' AND output_sha256 IS ?`,
      )
      .run(next.sha256, next.size, JSON.stringify(next.params), new Date().toISOString(), itemId, previousSha256).changes === 1
  );
}

/** An organisation rewrite about to be renamed into place (`params.organisationPending`). */
export interface OrganisationPending {
  /** "output" (the JPEG or MP4 itself) or "sidecar" (NAME.EXT.xmp beside a copy). */
  file: "output" | "sidecar";
  sha256: string;
  size: number;
  key: string;
}

/**
 * Note, before the rename, which bytes an organisation rewrite puts in place: a crash between
 * the rename and `recordOrganisedOutput` then leaves an output the next run recognises as ours
 * (and records), not a fixity failure.
 */
export function recordOrganisationPending(cat: Catalog, itemId: number, pending: OrganisationPending | null): void {
  if (pending) {
    cat.stmt("UPDATE jobs SET params = json_set(coalesce(params, '{}'), '$.organisationPending', json(?)) WHERE item_id = ?").run(JSON.stringify(pending), itemId);
  } else {
    cat.stmt("UPDATE jobs SET params = json_remove(params, '$.organisationPending') WHERE item_id = ? AND params IS NOT NULL").run(itemId);
  }
}

/** Finished jobs with an organisation rewrite noted but not recorded (a run stopped in between). */
export function organisationPendingJobs(cat: Catalog): OrganisedJob[] {
  return cat
    .stmt(
      `SELECT item_id AS itemId, action, output_rel AS outputRel, output_sha256 AS outputSha256, output_size AS outputSize, params
       FROM jobs WHERE status = 'done' AND json_extract(params, '$.organisationPending') IS NOT NULL ORDER BY item_id`,
    )
    .all() as OrganisedJob[];
}
