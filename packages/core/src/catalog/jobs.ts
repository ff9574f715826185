// Catalog queries: the job journal and convert's selection (owner: convert package). Every
// statement convert needs is here, named; convert itself holds no SQL.
import type { Catalog } from "./db.js";
import { exportCsvSql } from "./export.js";
import type { ConvertItemRow, JobAction, JobRow, JobStatus, KeptOutputRow } from "./schema.js";

/** Which items convert selects (the CLI's --year/--from/--to/--kind/--album). */
export interface JobSelection {
  year?: number;
  /** Inclusive capture dates, "YYYY-MM-DD", in each item's own local time. */
  from?: string;
  to?: string;
  kind?: "photo" | "video" | "live";
  album?: string;
  /** Also items an Apple export lists as deleted (Recently Deleted/, deleted = yes): `--include-deleted`. */
  includeDeleted?: boolean;
  /** Exactly these items (`convert --redo`), instead of the filters above. */
  itemIds?: readonly number[];
}

function selectionWhere(f: JobSelection): { where: string[]; params: unknown[] } {
  const where: string[] = ["i.missing = 0"];
  const params: unknown[] = [];
  if (f.itemIds) {
    where.push("i.id IN (SELECT value FROM json_each(?))");
    params.push(JSON.stringify(f.itemIds));
  }
  if (!f.includeDeleted && !f.itemIds) where.push("i.deleted = 0");
  where.push(`NOT ${exportCsvSql("i")}`); // the export's CSVs are its metadata, read at plan, not photos to archive
  if (f.year !== undefined) where.push("i.capture_year = ?"), params.push(f.year);
  if (f.from) where.push("substr(i.capture_local, 1, 10) >= ?"), params.push(f.from);
  if (f.to) where.push("substr(i.capture_local, 1, 10) <= ?"), params.push(f.to);
  if (f.kind === "photo") where.push("i.kind IN ('photo', 'raw')");
  if (f.kind === "video") where.push("i.kind = 'video'");
  if (f.kind === "live") {
    where.push("EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id AND g.type = 'live' WHERE gm.item_id = i.id)");
  }
  if (f.album !== undefined) {
    where.push("i.id IN (SELECT ai.item_id FROM album_items ai JOIN albums a ON a.id = ai.album_id WHERE a.name = ?)");
    params.push(f.album);
  }
  return { where, params };
}

/**
 * Build convert's selection (a temporary table of item ids): the filter, then group partners
 * (the other half of a Live Photo; an original's edits and sidecars, and the reverse). Returns
 * how many items it holds. `clearSelection` drops it.
 */
export function selectForConvert(cat: Catalog, f: JobSelection): number {
  const { where, params } = selectionWhere(f);
  const db = cat.db;
  db.exec("DROP TABLE IF EXISTS temp.sel");
  db.exec("CREATE TEMP TABLE sel (id INTEGER PRIMARY KEY)");
  db.prepare(`INSERT OR IGNORE INTO temp.sel SELECT i.id FROM items i WHERE ${where.join(" AND ")}`).run(...params);
  if (!f.itemIds) {
    db.exec(`INSERT OR IGNORE INTO temp.sel
      SELECT gm2.item_id FROM temp.sel s JOIN group_members gm ON gm.item_id = s.id
      JOIN groups g ON g.id = gm.group_id AND g.type IN ('live', 'edit')
      JOIN group_members gm2 ON gm2.group_id = g.id JOIN items i2 ON i2.id = gm2.item_id AND i2.missing = 0`);
  }
  return (db.prepare("SELECT COUNT(*) AS n FROM temp.sel").get() as { n: number }).n;
}

// Statements on temp.sel are cached like any other: SQLite re-prepares them when the next run
// creates the table again.

/** Drop convert's selection. */
export function clearSelection(cat: Catalog): void {
  cat.db.exec("DROP TABLE IF EXISTS temp.sel");
}

/** True when the selection holds a readable item of `kind` that needs converting (decides which tools to start). */
export function selectionNeedsConversion(cat: Catalog, kind: "photo" | "video"): boolean {
  return (
    cat
      .stmt("SELECT 1 FROM temp.sel t JOIN items i ON i.id = t.id WHERE i.kind = ? AND i.needs_conversion = 1 AND i.error IS NULL LIMIT 1")
      .get(kind) !== undefined
  );
}

const ITEM_COLUMNS = `i.id, i.source_id, s.root, i.rel_path, i.name, i.size, i.mtime_ms, i.ino, i.format, i.kind,
  i.capture_utc_ms, i.capture_year, i.capture_month, i.width, i.height, i.orientation, i.make,
  i.needs_conversion, i.error, i.sha256`;

/** The selected items in id order, a page at a time (memory stays bounded), with their Live Photo group and role. */
export function* selectedItems(cat: Catalog, page = 200): IterableIterator<ConvertItemRow> {
  const q = cat.db.prepare(
    `SELECT ${ITEM_COLUMNS},
       (SELECT gm.group_id FROM group_members gm JOIN groups g ON g.id = gm.group_id AND g.type = 'live' WHERE gm.item_id = i.id LIMIT 1) AS live_group,
       (SELECT gm.role FROM group_members gm JOIN groups g ON g.id = gm.group_id AND g.type = 'live' WHERE gm.item_id = i.id LIMIT 1) AS live_role
     FROM temp.sel t JOIN items i ON i.id = t.id JOIN sources s ON s.id = i.source_id
     WHERE i.id > ? ORDER BY i.id LIMIT ?`,
  );
  let last = 0;
  for (;;) {
    const rows = q.all(last, page) as ConvertItemRow[];
    if (!rows.length) return;
    yield* rows;
    last = rows[rows.length - 1]!.id;
  }
}

/** True when `itemId` is in convert's selection. */
export function isSelected(cat: Catalog, itemId: number): boolean {
  return cat.stmt("SELECT 1 FROM temp.sel WHERE id = ?").get(itemId) !== undefined;
}

/** True when Live Photo group `group` has a readable, selected still (its video is then handled with it). */
export function hasSelectedStill(cat: Catalog, group: number): boolean {
  return (
    cat
      .stmt(
        `SELECT 1 FROM group_members gm JOIN items i ON i.id = gm.item_id
         WHERE gm.group_id = ? AND gm.role = 'still' AND i.error IS NULL AND i.id IN (SELECT id FROM temp.sel) LIMIT 1`,
      )
      .get(group) !== undefined
  );
}

/** The selected videos of Live Photo group `group`. */
export function selectedLiveVideos(cat: Catalog, group: number): ConvertItemRow[] {
  return cat
    .stmt(
      `SELECT ${ITEM_COLUMNS}, gm.group_id AS live_group, gm.role AS live_role
       FROM group_members gm JOIN items i ON i.id = gm.item_id JOIN sources s ON s.id = i.source_id
       WHERE gm.group_id = ? AND gm.role = 'video' AND i.id IN (SELECT id FROM temp.sel)`,
    )
    .all(group) as ConvertItemRow[];
}

const JOB_COLUMNS = `id, item_id, action, status, output_rel, params, reason, output_size, output_sha256,
  source_size, source_mtime_ms, duplicate_of, run_id, updated_at`;

/** The journal's row for an item, if convert ever handled it. */
export function jobOf(cat: Catalog, itemId: number): JobRow | undefined {
  return cat.stmt(`SELECT ${JOB_COLUMNS} FROM jobs WHERE item_id = ?`).get(itemId) as JobRow | undefined;
}

/** The job whose output is `outputRel` (workspace-relative, compared case-insensitively). */
export function jobByOutput(cat: Catalog, outputRel: string): JobRow | undefined {
  return cat.stmt(`SELECT ${JOB_COLUMNS} FROM jobs WHERE lower(output_rel) = lower(?) LIMIT 1`).get(outputRel) as JobRow | undefined;
}

/**
 * True when output name `outputRel` is taken (case-insensitively): another item's job owns it, or
 * it holds a kept older version (of any item, this one included: a kept output is never rewritten).
 */
export function outputNameTaken(cat: Catalog, outputRel: string, itemId: number): boolean {
  return (
    cat.stmt("SELECT 1 FROM jobs WHERE lower(output_rel) = lower(?) AND item_id <> ? LIMIT 1").get(outputRel, itemId) !== undefined ||
    cat.stmt("SELECT 1 FROM kept_outputs WHERE lower(output_rel) = lower(?) LIMIT 1").get(outputRel) !== undefined
  );
}

/**
 * Keep the item's finished output as an older version (kept_outputs), then record `next` as its
 * job, in one transaction: the old output's journal line (and so its manifest line) is never lost.
 * Only a finished job with an output of its own is kept; returns the kept output, else null.
 */
export function keepOutputAndRecord(cat: Catalog, itemId: number, reason: string, next: JobRecord): string | null {
  return cat.tx(() => {
    const r = cat
      .stmt(
        `INSERT INTO kept_outputs (item_id, action, output_rel, params, output_size, output_sha256, source_size, source_mtime_ms, run_id, journalled_at, kept_at, reason)
         SELECT item_id, action, output_rel, params, output_size, output_sha256, source_size, source_mtime_ms, run_id, updated_at, ?, ?
         FROM jobs WHERE item_id = ? AND status = 'done' AND action <> 'duplicate' AND output_rel IS NOT NULL
         RETURNING output_rel`,
      )
      .get(new Date().toISOString(), reason, itemId) as { output_rel: string } | undefined;
    recordJob(cat, next);
    return r?.output_rel ?? null;
  });
}

/** The older outputs kept for an item (its earlier content), oldest first. */
export function keptOutputsOf(cat: Catalog, itemId: number): KeptOutputRow[] {
  return cat
    .stmt("SELECT item_id, action, output_rel, output_sha256, journalled_at, kept_at, reason FROM kept_outputs WHERE item_id = ? ORDER BY id")
    .all(itemId) as KeptOutputRow[];
}

/** What one job records; `status` 'pending' reserves an output name before writing it. */
export interface JobRecord {
  itemId: number;
  action: JobAction;
  status: JobStatus;
  outputRel: string | null;
  params?: Record<string, unknown> | null;
  reason?: string | null;
  outputSize?: number | null;
  outputSha256?: string | null;
  sourceSize: number;
  sourceMtimeMs: number;
  duplicateOf?: number | null;
  runId: number;
}

/** Write (insert or replace) an item's job. A finished output is recorded only after its rename. */
export function recordJob(cat: Catalog, r: JobRecord): void {
  cat
    .stmt(
      `INSERT INTO jobs (item_id, action, status, output_rel, params, reason, output_size, output_sha256, source_size, source_mtime_ms, duplicate_of, run_id, updated_at)
       VALUES (@item, @action, @status, @out, @params, @reason, @osize, @osha, @size, @mtime, @dup, @run, @now)
       ON CONFLICT (item_id) DO UPDATE SET action = excluded.action, status = excluded.status, output_rel = excluded.output_rel,
         params = excluded.params, reason = excluded.reason, output_size = excluded.output_size, output_sha256 = excluded.output_sha256,
         source_size = excluded.source_size, source_mtime_ms = excluded.source_mtime_ms, duplicate_of = excluded.duplicate_of,
         run_id = excluded.run_id, updated_at = excluded.updated_at`,
    )
    .run({
      item: r.itemId, action: r.action, status: r.status, out: r.outputRel,
      params: r.params ? JSON.stringify(r.params) : null, reason: r.reason ?? null,
      osize: r.outputSize ?? null, osha: r.outputSha256 ?? null, size: r.sourceSize, mtime: r.sourceMtimeMs,
      dup: r.duplicateOf ?? null, run: r.runId, now: new Date().toISOString(),
    });
}

/** The latest calibration convert measured (photo seconds, video speed, size ratios), or null. */
export function latestCalibration<C>(cat: Catalog): C | null {
  const row = cat
    .stmt(
      `SELECT json_extract(summary, '$.calibration') AS c FROM runs
       WHERE command = 'convert' AND json_extract(summary, '$.calibration') IS NOT NULL ORDER BY id DESC LIMIT 1`,
    )
    .get() as { c: string } | undefined;
  return row ? (JSON.parse(row.c) as C) : null;
}
