// Catalog queries for `archive report` (owner: report package): every number on the page is an
// SQL aggregate, so the report's memory does not grow with the library.
import type { Catalog } from "./db.js";

/** One month of the timeline: items captured then, by what a person would call them. */
export interface MonthCount {
  year: number;
  month: number;
  photos: number;
  videos: number;
  /** Live Photos, counted once per pair (the still). */
  live: number;
}

/** Files and bytes under one key (a year, a kind). */
export interface BytesRow {
  key: string;
  files: number;
  bytes: number;
}

/** Outcomes of the job journal. */
export interface JobCounts {
  converted: number;
  copied: number;
  linked: number;
  duplicates: number;
  skipped: number;
  failed: number;
  /** Jobs whose params carry warnings. */
  warned: number;
  bytesOut: number;
  /** Items that could be archived but have no job yet. */
  pending: number;
}

/** A failure on the report: unreadable at plan time (scan), failed in convert, or failed in verify. */
export interface ReportFailure {
  stage: "scan" | "convert" | "verify";
  path: string;
  reason: string;
}

/** Duplicate groups and the bytes one copy per group would save. */
export interface DuplicateSummary {
  /** Groups of identical content (dedupe's 'duplicate' groups, else equal SHA-256). */
  groups: number;
  files: number;
  /** Bytes that one copy per group would save. */
  bytesSaved: number;
  source: "dedupe" | "sha256" | "none";
  /** The largest groups, for the page. */
  top: { size: number; count: number; paths: string[] }[];
  /** Jobs that archived an item as a duplicate of another. */
  duplicateJobs: number;
}

/** One archived item of the spot-check sample, with its source and its output. */
export interface SampleItem {
  id: number;
  relPath: string;
  sourceRoot: string;
  kind: string;
  format: string;
  captureLocal: string | null;
  captureOffset: string | null;
  year: number | null;
  model: string | null;
  hasGps: boolean;
  icc: string | null;
  hdr: string | null;
  orientation: number | null;
  rotation: number | null;
  width: number | null;
  height: number | null;
  duration: number | null;
  size: number;
  mtimeMs: number;
  action: string;
  outputRel: string;
  outputSize: number | null;
  outputSha256: string | null;
  /** Rotated in the source (EXIF orientation >= 5 or a 90/270 irot). */
  rotated: boolean;
}

/** The SQL condition that defines a timeline month; exported so tests count the same way. */
export const TIMELINE_WHERE = "i.missing = 0 AND i.kind IN ('photo', 'raw', 'video') AND i.capture_year IS NOT NULL AND i.capture_month IS NOT NULL";

type MonthRow = { year: number; month: number; stills: number; videos: number };

/** Items per capture month (local time), stacked photos / videos / Live Photos. */
export function reportTimeline(cat: Catalog): { months: MonthCount[]; undated: number } {
  // Two cheap GROUP BYs (all items; then only the members of Live Photo groups) instead of a
  // per-item group lookup: ~10x faster at 50,000 items.
  const all = cat
    .stmt(
      `SELECT i.capture_year AS year, i.capture_month AS month,
         SUM(i.kind IN ('photo', 'raw')) AS stills, SUM(i.kind = 'video') AS videos
       FROM items i WHERE ${TIMELINE_WHERE}
       GROUP BY i.capture_year, i.capture_month ORDER BY i.capture_year, i.capture_month`,
    )
    .all() as MonthRow[];
  const live = cat
    .stmt(
      `SELECT year, month, SUM(kind IN ('photo', 'raw')) AS stills, SUM(kind = 'video') AS videos FROM (
         SELECT DISTINCT i.id, i.capture_year AS year, i.capture_month AS month, i.kind AS kind
         FROM groups g JOIN group_members gm ON gm.group_id = g.id JOIN items i ON i.id = gm.item_id
         WHERE g.type = 'live' AND ${TIMELINE_WHERE})
       GROUP BY year, month`,
    )
    .all() as MonthRow[];
  const liveBy = new Map(live.map((l) => [l.year * 100 + l.month, l]));
  const months: MonthCount[] = all.map((m) => {
    const l = liveBy.get(m.year * 100 + m.month);
    return { year: m.year, month: m.month, photos: m.stills - (l?.stills ?? 0), videos: m.videos - (l?.videos ?? 0), live: l?.stills ?? 0 };
  });
  const undated = (
    cat
      .stmt("SELECT COUNT(*) AS n FROM items i WHERE i.missing = 0 AND i.kind IN ('photo', 'raw', 'video') AND (i.capture_year IS NULL OR i.capture_month IS NULL)")
      .get() as { n: number }
  ).n;
  return { months, undated };
}

/** Source bytes by capture year ("undated" last). */
export function reportBytesByYear(cat: Catalog): BytesRow[] {
  return cat
    .stmt(
      `SELECT COALESCE(CAST(capture_year AS TEXT), 'undated') AS key, COUNT(*) AS files, COALESCE(SUM(size), 0) AS bytes
       FROM items WHERE missing = 0 GROUP BY capture_year ORDER BY capture_year IS NULL, capture_year`,
    )
    .all() as BytesRow[];
}

/** Source bytes by kind (photo, video, raw, sidecar, other). */
export function reportBytesByKind(cat: Catalog): BytesRow[] {
  return cat
    .stmt("SELECT kind AS key, COUNT(*) AS files, COALESCE(SUM(size), 0) AS bytes FROM items WHERE missing = 0 GROUP BY kind ORDER BY bytes DESC")
    .all() as BytesRow[];
}

/** Outcomes of the job journal, and the items still waiting for a job. */
export function reportJobCounts(cat: Catalog): JobCounts {
  const r = cat
    .stmt(
      `SELECT
         COALESCE(SUM(action = 'convert' AND status = 'done'), 0) AS converted,
         COALESCE(SUM(action = 'copy' AND status = 'done'), 0) AS copied,
         COALESCE(SUM(action = 'link' AND status = 'done'), 0) AS linked,
         COALESCE(SUM(action = 'duplicate' AND status = 'done'), 0) AS duplicates,
         COALESCE(SUM(status = 'skipped'), 0) AS skipped,
         COALESCE(SUM(status = 'failed'), 0) AS failed,
         COALESCE(SUM(params LIKE '%"warnings":[{%' OR params LIKE '%"warnings":["%'), 0) AS warned,
         COALESCE(SUM(CASE WHEN status = 'done' THEN output_size END), 0) AS bytesOut
       FROM jobs`,
    )
    .get() as Omit<JobCounts, "pending">;
  const pending = (
    cat
      .stmt(
        "SELECT COUNT(*) AS n FROM items i WHERE i.missing = 0 AND i.error IS NULL AND i.kind IN ('photo', 'raw', 'video', 'sidecar') AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.item_id = i.id)",
      )
      .get() as { n: number }
  ).n;
  return { ...r, pending };
}

/** Why items were skipped, grouped by reason (the 50 commonest). */
export function reportSkippedReasons(cat: Catalog): { reason: string; count: number }[] {
  return cat
    .stmt("SELECT COALESCE(reason, '(no reason recorded)') AS reason, COUNT(*) AS count FROM jobs WHERE status = 'skipped' GROUP BY reason ORDER BY count DESC LIMIT 50")
    .all() as { reason: string; count: number }[];
}

const FAILURES_SQL = `
  SELECT 'convert' AS stage, i.rel_path AS path, COALESCE(j.reason, 'failed') AS reason
    FROM jobs j JOIN items i ON i.id = j.item_id WHERE j.status = 'failed'
  UNION ALL
  SELECT 'scan' AS stage, i.rel_path AS path, i.error AS reason
    FROM items i WHERE i.error IS NOT NULL AND i.missing = 0
      AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.item_id = i.id AND j.status = 'failed')`;

/** Every failure: unreadable at scan time, or failed in convert (at most `limit`, with the total). */
export function reportFailures(cat: Catalog, limit: number): { list: ReportFailure[]; total: number } {
  const total = (cat.stmt(`SELECT COUNT(*) AS n FROM (${FAILURES_SQL})`).get() as { n: number }).n;
  const list = cat.stmt(`${FAILURES_SQL} ORDER BY path LIMIT ?`).all(limit) as ReportFailure[];
  return { list, total };
}

/** Duplicate groups and the bytes one copy per group would save (dedupe's groups, else equal SHA-256). */
export function reportDuplicates(cat: Catalog): DuplicateSummary {
  const duplicateJobs = (cat.stmt("SELECT COUNT(*) AS n FROM jobs WHERE action = 'duplicate'").get() as { n: number }).n;
  const dedupeGroups = (cat.stmt("SELECT COUNT(*) AS n FROM groups WHERE type = 'duplicate'").get() as { n: number }).n;
  return dedupeGroups > 0 ? { ...dedupeGroupSummary(cat), source: "dedupe", duplicateJobs } : sha256GroupSummary(cat, duplicateJobs);
}

type TopRow = { size: number; count: number; paths: string };
const topOf = (rows: TopRow[]) => rows.map((t) => ({ size: t.size, count: t.count, paths: JSON.parse(t.paths) as string[] }));

function dedupeGroupSummary(cat: Catalog): Pick<DuplicateSummary, "groups" | "files" | "bytesSaved" | "top"> {
  const agg = cat
    .stmt(
      `SELECT COUNT(*) AS groups, COALESCE(SUM(n), 0) AS files, COALESCE(SUM(saved), 0) AS bytesSaved FROM (
         SELECT g.id, COUNT(*) AS n, SUM(i.size) - MAX(i.size) AS saved
         FROM groups g JOIN group_members gm ON gm.group_id = g.id JOIN items i ON i.id = gm.item_id
         WHERE g.type = 'duplicate' GROUP BY g.id HAVING COUNT(*) > 1)`,
    )
    .get() as { groups: number; files: number; bytesSaved: number };
  const top = cat
    .stmt(
      `SELECT MAX(i.size) AS size, COUNT(*) AS count, json_group_array(i.rel_path) AS paths
       FROM groups g JOIN group_members gm ON gm.group_id = g.id JOIN items i ON i.id = gm.item_id
       WHERE g.type = 'duplicate' GROUP BY g.id HAVING COUNT(*) > 1
       ORDER BY SUM(i.size) - MAX(i.size) DESC LIMIT 20`,
    )
    .all() as TopRow[];
  return { ...agg, top: topOf(top) };
}

function sha256GroupSummary(cat: Catalog, duplicateJobs: number): DuplicateSummary {
  // Equal SHA-256, counting hard links (same device + inode) once: they take no extra space.
  const grouped = `
    WITH d AS (SELECT sha256 FROM items WHERE sha256 IS NOT NULL GROUP BY sha256 HAVING COUNT(*) > 1)
    SELECT i.sha256, MAX(i.size) AS size, COUNT(*) AS count,
      COUNT(DISTINCT COALESCE(i.dev || ':' || i.ino, 'id' || i.id)) AS copies, json_group_array(i.rel_path) AS paths
    FROM d JOIN items i ON i.sha256 = d.sha256 WHERE i.missing = 0 AND i.size > 0
    GROUP BY i.sha256 HAVING copies > 1`;
  const agg = cat
    .stmt(`SELECT COUNT(*) AS groups, COALESCE(SUM(count), 0) AS files, COALESCE(SUM(size * (copies - 1)), 0) AS bytesSaved FROM (${grouped})`)
    .get() as { groups: number; files: number; bytesSaved: number };
  const top = cat.stmt(`${grouped} ORDER BY size * (copies - 1) DESC LIMIT 20`).all() as TopRow[];
  return { ...agg, source: agg.groups ? "sha256" : "none", top: topOf(top), duplicateJobs };
}

interface SampleRow {
  id: number; rel_path: string; root: string; kind: string; format: string; capture_local: string | null; capture_offset: string | null;
  capture_year: number | null; model: string | null; gps_lat: number | null; icc: string | null; hdr: string | null;
  orientation: number | null; rotation: number | null; width: number | null; height: number | null; duration: number | null;
  size: number; mtime_ms: number; action: string; output_rel: string; output_size: number | null; output_sha256: string | null; special: number;
}

const ROTATED = "(COALESCE(i.orientation, 1) >= 5 OR COALESCE(i.rotation, 0) % 180 <> 0)";

const sampleSql = (eligible: boolean) => `
  WITH c AS (
    SELECT i.*, s.root, j.action, j.output_rel, j.output_size, j.output_sha256,
      CASE WHEN ${ROTATED} OR i.hdr IS NOT NULL THEN 1 ELSE 0 END AS special
    FROM jobs j JOIN items i ON i.id = j.item_id JOIN sources s ON s.id = i.source_id
    WHERE j.status = 'done' AND j.action IN ('convert', 'copy', 'link') AND j.output_rel IS NOT NULL
      AND i.kind IN ('photo', 'video') AND i.missing = 0
      ${eligible ? "AND i.id IN (SELECT value FROM json_each(?))" : ""}
  ), r AS (
    SELECT c.*, ROW_NUMBER() OVER (
      PARTITION BY special, capture_year, model ORDER BY (action = 'convert') DESC, (id * 2654435761) % 4294967296
    ) AS rn FROM c
  )
  SELECT id, rel_path, root, kind, format, capture_local, capture_offset, capture_year, model, gps_lat, icc, hdr,
    orientation, rotation, width, height, duration, size, mtime_ms, action, output_rel, output_size, output_sha256, special
  FROM r ORDER BY special DESC, rn, capture_year, model, id
  LIMIT ?`;

/**
 * The spot-check sample: archived photos and videos, rotated and HDR items first, then spread
 * across years and device models (round-robin over year x model, a stable pseudo-random order
 * inside each). `eligible` restricts the candidates to these item ids (e.g. items whose thumbnails exist).
 */
export function reportSample(cat: Catalog, n: number, eligible?: Iterable<number>): SampleItem[] {
  if (n <= 0) return [];
  const params = eligible ? [JSON.stringify([...eligible]), n] : [n];
  return (cat.stmt(sampleSql(eligible !== undefined)).all(...params) as SampleRow[]).map(sampleItemOf);
}

function sampleItemOf(r: SampleRow): SampleItem {
  return {
    id: r.id,
    relPath: r.rel_path,
    sourceRoot: r.root,
    kind: r.kind,
    format: r.format,
    captureLocal: r.capture_local,
    captureOffset: r.capture_offset,
    year: r.capture_year,
    model: r.model,
    hasGps: r.gps_lat !== null,
    icc: r.icc,
    hdr: r.hdr,
    orientation: r.orientation,
    rotation: r.rotation,
    width: r.width,
    height: r.height,
    duration: r.duration,
    size: r.size,
    mtimeMs: r.mtime_ms,
    action: r.action,
    outputRel: r.output_rel,
    outputSize: r.output_size,
    outputSha256: r.output_sha256,
    rotated: (r.orientation ?? 1) >= 5 || (r.rotation ?? 0) % 180 !== 0,
  };
}

/** Totals for the report's header. */
export function reportTotals(cat: Catalog): { files: number; bytes: number; firstYear: number | null; lastYear: number | null } {
  return cat
    .stmt("SELECT COUNT(*) AS files, COALESCE(SUM(size), 0) AS bytes, MIN(capture_year) AS firstYear, MAX(capture_year) AS lastYear FROM items WHERE missing = 0")
    .get() as { files: number; bytes: number; firstYear: number | null; lastYear: number | null };
}

/** Failed conversions in the latest convert run of items that were readable at scan time (unreadable ones are recorded reasons). */
export function latestConvertRealFailures(cat: Catalog): number {
  const run = cat.stmt("SELECT id FROM runs WHERE command = 'convert' ORDER BY id DESC LIMIT 1").get() as { id: number } | undefined;
  if (!run) return 0;
  return (
    cat
      .stmt("SELECT COUNT(*) AS n FROM jobs j JOIN items i ON i.id = j.item_id WHERE j.status = 'failed' AND i.error IS NULL AND j.run_id = ?")
      .get(run.id) as { n: number }
  ).n;
}
