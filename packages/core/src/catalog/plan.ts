// Catalog queries: the plan's aggregates (counts, years, days, kinds, groups, estimate inputs; the
// calibration is jobs.ts `latestCalibration`). All aggregates are SQL, so memory does not grow
// with the library. Owner: scan package.
import type { Catalog } from "./db.js";
import type { Count, ExtensionMismatch, PathReason, PlanSummary } from "./summaries.js";
import type { DayRow, ProblemKind } from "./schema.js";
import { changedSinceArchived } from "./duplicates.js";
import { exportCsvSql } from "./export.js";

/** Output bytes per input byte for converted items (the estimate's model or calibration). */
export interface OutputModel {
  heicToJpegBytes: number;
  hevcToH264Bytes: number;
  keepOriginals?: boolean;
}

const PRESENT = "FROM items i WHERE i.missing = 0";

/** The SQL expression for an item's estimated output bytes. */
function outputExpr(m: OutputModel): string {
  const n = (x: number) => (Number.isFinite(x) ? Number(x) : 1);
  return `CASE
    WHEN i.error IS NOT NULL THEN 0
    WHEN i.needs_conversion = 1 AND i.kind = 'photo' THEN i.size * ${n(m.heicToJpegBytes)}
    WHEN i.needs_conversion = 1 AND i.kind = 'video' THEN i.size * ${n(m.hevcToH264Bytes)}
    ELSE i.size END${m.keepOriginals ? " + CASE WHEN i.needs_conversion = 1 THEN i.size ELSE 0 END" : ""}`;
}

/** Present files and bytes. */
export function planTotals(cat: Catalog): Count {
  return cat.stmt(`SELECT COUNT(*) AS files, COALESCE(SUM(size), 0) AS bytes ${PRESENT}`).get() as Count;
}

/** Present items by capture day, in date order (undated first), with estimated output. */
export function planDays(cat: Catalog, m: OutputModel): DayRow[] {
  return cat
    .stmt(
      `SELECT capture_year AS year, capture_month AS month,
         CASE WHEN capture_year IS NULL THEN NULL ELSE CAST(substr(capture_local, 9, 2) AS INTEGER) END AS day,
         COUNT(*) AS files, SUM(size) AS bytes, SUM(kind IN ('photo', 'raw')) AS photos, SUM(kind = 'video') AS videos,
         SUM(${outputExpr(m)}) AS out
       ${PRESENT} AND NOT ${exportCsvSql("i")} GROUP BY year, month, day ORDER BY year, month, day`,
    )
    .all() as DayRow[];
}

/** Present files and bytes by kind, Live Photo members counted apart. */
export function planKinds(cat: Catalog): PlanSummary["byKind"] {
  const live = "EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id AND g.type = 'live' WHERE gm.item_id = i.id)";
  const rows = cat
    .stmt(`SELECT CASE WHEN ${live} THEN 'livePhoto' ELSE kind END AS k, COUNT(*) AS files, SUM(size) AS bytes ${PRESENT} GROUP BY k`)
    .all() as { k: string; files: number; bytes: number }[];
  const byKind: PlanSummary["byKind"] = {
    photo: { files: 0, bytes: 0 }, video: { files: 0, bytes: 0 }, livePhoto: { files: 0, bytes: 0 },
    raw: { files: 0, bytes: 0 }, sidecar: { files: 0, bytes: 0 }, other: { files: 0, bytes: 0 },
  };
  for (const r of rows) byKind[r.k as keyof typeof byKind] = { files: r.files, bytes: r.bytes };
  return byKind;
}

/** Live Photo pairs, bursts and edit sets as the last regroup left them. */
export function planGroups(cat: Catalog): Pick<PlanSummary, "livePhotoPairs" | "bursts" | "edits"> {
  const n = (sql: string, ...p: unknown[]) => (cat.stmt(sql).get(...p) as { n: number }).n;
  const groups = (type: string) => n("SELECT COUNT(*) AS n FROM groups WHERE type = ?", type);
  const members = (type: string, role?: string) =>
    n(`SELECT COUNT(*) AS n FROM group_members gm JOIN groups g ON g.id = gm.group_id AND g.type = ?${role ? " WHERE gm.role = ?" : ""}`, type, ...(role ? [role] : []));
  const orphanSidecars = n(
    `SELECT COUNT(*) AS n ${PRESENT} AND i.kind = 'sidecar' AND NOT EXISTS
     (SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id AND g.type = 'edit' WHERE gm.item_id = i.id)`,
  );
  return {
    livePhotoPairs: groups("live"),
    bursts: { groups: groups("burst"), frames: members("burst") },
    edits: { sets: groups("edit"), edited: members("edit", "edit"), sidecars: n(`SELECT COUNT(*) AS n ${PRESENT} AND kind = 'sidecar'`), orphanSidecars },
  };
}

/** Readable present items that need converting (HEIC/HEIF photos, non-H.264 or HDR videos). */
export function planNeedsConversion(cat: Catalog): PlanSummary["needsConversion"] {
  return cat
    .stmt(
      `SELECT COUNT(*) AS files, COALESCE(SUM(size), 0) AS bytes, COALESCE(SUM(kind = 'photo'), 0) AS photos,
       COALESCE(SUM(kind = 'video'), 0) AS videos, COALESCE(SUM(kind = 'video' AND hdr IS NOT NULL AND hdr <> 'gainmap'), 0) AS hdrVideos
       ${PRESENT} AND needs_conversion = 1 AND error IS NULL`,
    )
    .get() as PlanSummary["needsConversion"];
}

/** Exact duplicates by SHA-256 among present items (hard links to one file count once), and whether all are hashed. */
export function planDuplicates(cat: Catalog): PlanSummary["duplicates"] {
  const dup = cat
    .stmt(
      `SELECT COUNT(*) AS groups, COALESCE(SUM(n - 1), 0) AS files, COALESCE(SUM((n - 1) * size), 0) AS bytes FROM
       (SELECT sha256, size, COUNT(DISTINCT COALESCE(dev || ':' || ino, id)) AS n FROM items
        WHERE sha256 IS NOT NULL AND missing = 0 AND size > 0 GROUP BY sha256, size HAVING n > 1)`,
    )
    .get() as { groups: number; files: number; bytes: number };
  const unhashed = (cat.stmt(`SELECT COUNT(*) AS n ${PRESENT} AND sha256 IS NULL AND size > 0`).get() as { n: number }).n;
  return { ...dup, hashed: unhashed === 0 };
}

/** Photos and videos whose capture time is only a guess (from `weak` sources), with ten examples. */
export function planWeakCapture(cat: Catalog, weak: readonly string[]): PlanSummary["weakCaptureTime"] {
  const list = weak.map((s) => `'${s.replace(/'/g, "''")}'`).join(", ");
  const where = `${PRESENT} AND kind IN ('photo', 'video', 'raw') AND capture_source IN (${list})`;
  const rows = cat.stmt(`SELECT capture_source AS s, COUNT(*) AS n ${where} GROUP BY s`).all() as { s: string; n: number }[];
  const examples = (cat.stmt(`SELECT rel_path ${where} ORDER BY rel_path LIMIT 10`).all() as { rel_path: string }[]).map((r) => r.rel_path);
  return { files: rows.reduce((n, r) => n + r.n, 0), bySource: Object.fromEntries(rows.map((r) => [r.s, r.n])), examples };
}

/** Albums from Apple's album CSVs with their member counts. */
export function planAlbums(cat: Catalog): { name: string; files: number }[] {
  return cat
    .stmt("SELECT a.name AS name, COUNT(ai.item_id) AS files FROM albums a LEFT JOIN album_items ai ON ai.album_id = a.id GROUP BY a.id ORDER BY a.name")
    .all() as { name: string; files: number }[];
}

/** Walk problems the plan lists as skipped (on purpose, not archived) rather than unreadable. */
const SKIPPED_KINDS: readonly ProblemKind[] = ["link", "special", "name"];

/** Unreadable present items and walk problems (`skipped: false`), or the skipped ones (`skipped: true`), by path. */
export function planProblems(cat: Catalog, skipped: boolean): PathReason[] {
  const kinds = SKIPPED_KINDS.map((k) => `'${k}'`).join(", ");
  const problems = `SELECT path, reason FROM problems WHERE kind ${skipped ? "" : "NOT "}IN (${kinds})`;
  const sql = skipped
    ? `${problems} ORDER BY path`
    : `SELECT rel_path AS path, error AS reason ${PRESENT} AND error IS NOT NULL UNION ALL ${problems} ORDER BY path`;
  return cat.stmt(sql).all() as PathReason[];
}

/** Present files whose extension promises another format than their content (the first `limit`), and their number. */
export function planExtensionMismatches(cat: Catalog, limit = 1000): PlanSummary["extensionMismatch"] {
  const where = `${PRESENT} AND ext_mismatch IS NOT NULL`;
  const files = (cat.stmt(`SELECT COUNT(*) AS n ${where}`).get() as { n: number }).n;
  const examples = cat.stmt(`SELECT rel_path AS path, format, ext_mismatch AS extension ${where} ORDER BY rel_path LIMIT ?`).all(limit) as ExtensionMismatch[];
  return { files, examples };
}

/**
 * Sources whose content changed after it was archived (duplicates.ts `changedSinceArchived`, the
 * one rule): their number and the first `limit` with the output that holds the earlier content.
 */
export function planChangedSinceArchived(cat: Catalog, limit = 1000): NonNullable<PlanSummary["changedSinceArchived"]> {
  let files = 0;
  const examples: { path: string; output: string }[] = [];
  for (const c of changedSinceArchived(cat)) {
    if (files++ < limit) examples.push({ path: c.relPath, output: c.output });
  }
  return { files, examples };
}

/** Items catalogued earlier that are gone from their source. */
export function planMissingCount(cat: Catalog): number {
  return (cat.stmt("SELECT COUNT(*) AS n FROM items WHERE missing = 1").get() as { n: number }).n;
}

/** The work the estimate prices: photos to convert, seconds of video to encode, bytes to copy, output bytes. */
export function planWork(cat: Catalog, m: OutputModel): { photos: number; videoSeconds: number; copyBytes: number; out: number } {
  return cat
    .stmt(
      `SELECT COALESCE(SUM(kind = 'photo' AND needs_conversion = 1), 0) AS photos,
       COALESCE(SUM(CASE WHEN kind = 'video' AND needs_conversion = 1 THEN COALESCE(duration, 3) ELSE 0 END), 0) AS videoSeconds,
       COALESCE(SUM(CASE WHEN needs_conversion = 0 THEN size ELSE 0 END), 0) AS copyBytes,
       COALESCE(SUM(${outputExpr(m)}), 0) AS out
       ${PRESENT} AND error IS NULL`,
    )
    .get() as { photos: number; videoSeconds: number; copyBytes: number; out: number };
}
