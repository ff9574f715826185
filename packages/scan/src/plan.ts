import { statfs } from "node:fs/promises";
import type { Catalog } from "@archive/core";
import { WEAK_CAPTURE_SOURCES } from "@archive/core";

/** Output/input size and speed assumptions, until `convert` has measured this machine. */
export const ESTIMATE_MODEL = {
  /** JPEG q90 of an iPhone HEIC is about twice the HEIC's bytes (measured on the fixtures). */
  heicToJpegBytes: 2.0,
  /** H.264 (CRF 20, veryfast) of iPhone HEVC is about 1.6x its bytes. */
  hevcToH264Bytes: 1.6,
  /** Seconds per photo conversion on one core (decode + encode + metadata). */
  photoSeconds: 1.6,
  /** Seconds of encoding per second of 1080p video on one core. */
  videoSecondsPerSecond: 1.5,
  /** Copy speed for files kept as they are, bytes per second. */
  copyBytesPerSecond: 200 * 1024 * 1024,
} as const;

export interface Calibration {
  photoSeconds: number;
  videoSecondsPerSecond: number;
  heicToJpegBytes?: number;
  hevcToH264Bytes?: number;
  measuredAt: string;
}

export interface Count {
  files: number;
  bytes: number;
}

export interface Batch extends Count {
  name: string;
  /** Capture years (and months, when a year is split) in this batch. */
  year: number | null;
  fromMonth?: number;
  toMonth?: number;
  outputBytes: number;
}

/** The plan a person reads before converting; `archive plan --json` prints exactly this. */
export interface PlanSummary {
  workspace: string;
  sources: string[];
  totals: Count;
  byYear: Record<string, Count & { photos: number; videos: number }>;
  byKind: Record<"photo" | "video" | "livePhoto" | "raw" | "sidecar" | "other", Count>;
  livePhotoPairs: number;
  bursts: { groups: number; frames: number };
  edits: { sets: number; edited: number; sidecars: number; orphanSidecars: number };
  needsConversion: Count & { photos: number; videos: number; hdrVideos: number };
  duplicates: { groups: number; files: number; bytes: number; hashed: boolean };
  weakCaptureTime: { files: number; bySource: Record<string, number>; examples: string[] };
  albums: { name: string; files: number }[];
  unreadable: { path: string; reason: string }[];
  missing: number;
  estimate: { outputBytes: number; seconds: number; cores: number; basis: "model" | "calibrated"; calibratedAt?: string };
  destination: { path: string; freeBytes: number | null; fits: boolean | null };
  batchSize: number | null;
  batches: Batch[];
}

export interface PlanOptions {
  workspace: string;
  sources: string[];
  /** Largest batch in estimated output bytes; default: the destination's free space. */
  batchSize?: number;
  cores?: number;
  calibration?: Calibration | null;
  keepOriginals?: boolean;
}

interface YearRow {
  year: number | null;
  month: number | null;
  files: number;
  bytes: number;
  photos: number;
  videos: number;
  out: number;
}

/** Summarise the catalog for the plan: all aggregates are SQL, so memory does not grow with the library. */
export async function summarisePlan(catalog: Catalog, options: PlanOptions): Promise<PlanSummary> {
  const db = catalog.db;
  const m = { ...ESTIMATE_MODEL, ...(options.calibration ?? {}) };
  const cores = Math.max(1, options.cores ?? 2);
  const live = "EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id AND g.type = 'live' WHERE gm.item_id = i.id)";
  const outExpr = `CASE
    WHEN i.error IS NOT NULL THEN 0
    WHEN i.needs_conversion = 1 AND i.kind = 'photo' THEN i.size * ${m.heicToJpegBytes}
    WHEN i.needs_conversion = 1 AND i.kind = 'video' THEN i.size * ${m.hevcToH264Bytes}
    ELSE i.size END${options.keepOriginals ? " + CASE WHEN i.needs_conversion = 1 THEN i.size ELSE 0 END" : ""}`;
  const base = "FROM items i WHERE i.missing = 0";
  const totals = db.prepare(`SELECT COUNT(*) AS files, COALESCE(SUM(size), 0) AS bytes ${base}`).get() as Count;

  const yearRows = db
    .prepare(
      `SELECT capture_year AS year, capture_month AS month, COUNT(*) AS files, SUM(size) AS bytes,
       SUM(kind IN ('photo', 'raw')) AS photos, SUM(kind = 'video') AS videos, SUM(${outExpr}) AS out
       ${base} GROUP BY capture_year, capture_month ORDER BY capture_year, capture_month`,
    )
    .all() as YearRow[];
  const byYear: PlanSummary["byYear"] = {};
  for (const r of yearRows) {
    const k = r.year === null ? "undated" : String(r.year);
    const y = (byYear[k] ??= { files: 0, bytes: 0, photos: 0, videos: 0 });
    y.files += r.files;
    y.bytes += r.bytes;
    y.photos += r.photos;
    y.videos += r.videos;
  }

  const kindRows = db
    .prepare(
      `SELECT CASE WHEN ${live} THEN 'livePhoto' ELSE kind END AS k, COUNT(*) AS files, SUM(size) AS bytes ${base} GROUP BY k`,
    )
    .all() as { k: string; files: number; bytes: number }[];
  const byKind: PlanSummary["byKind"] = {
    photo: { files: 0, bytes: 0 },
    video: { files: 0, bytes: 0 },
    livePhoto: { files: 0, bytes: 0 },
    raw: { files: 0, bytes: 0 },
    sidecar: { files: 0, bytes: 0 },
    other: { files: 0, bytes: 0 },
  };
  for (const r of kindRows) byKind[r.k as keyof typeof byKind] = { files: r.files, bytes: r.bytes };

  const groupCount = (type: string) =>
    (db.prepare("SELECT COUNT(*) AS n FROM groups WHERE type = ?").get(type) as { n: number }).n;
  const bursts = {
    groups: groupCount("burst"),
    frames: (db.prepare("SELECT COUNT(*) AS n FROM group_members gm JOIN groups g ON g.id = gm.group_id AND g.type = 'burst'").get() as { n: number }).n,
  };
  const editRoles = db
    .prepare("SELECT role, COUNT(*) AS n FROM group_members gm JOIN groups g ON g.id = gm.group_id AND g.type = 'edit' GROUP BY role")
    .all() as { role: string; n: number }[];
  const orphanSidecars = (
    db.prepare(
      `SELECT COUNT(*) AS n ${base} AND i.kind = 'sidecar' AND NOT EXISTS
       (SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id AND g.type = 'edit' WHERE gm.item_id = i.id)`,
    ).get() as { n: number }
  ).n;
  const needs = db
    .prepare(
      `SELECT COUNT(*) AS files, COALESCE(SUM(size), 0) AS bytes, COALESCE(SUM(kind = 'photo'), 0) AS photos,
       COALESCE(SUM(kind = 'video'), 0) AS videos, COALESCE(SUM(kind = 'video' AND hdr IS NOT NULL AND hdr <> 'gainmap'), 0) AS hdrVideos
       ${base} AND needs_conversion = 1 AND error IS NULL`,
    )
    .get() as PlanSummary["needsConversion"];
  const dup = db
    .prepare(
      `SELECT COUNT(*) AS groups, COALESCE(SUM(n - 1), 0) AS files, COALESCE(SUM((n - 1) * size), 0) AS bytes FROM
       (SELECT sha256, size, COUNT(DISTINCT COALESCE(dev || ':' || ino, id)) AS n FROM items
        WHERE sha256 IS NOT NULL AND missing = 0 AND size > 0 GROUP BY sha256, size HAVING n > 1)`,
    )
    .get() as { groups: number; files: number; bytes: number };
  const hashed = (db.prepare(`SELECT COUNT(*) AS n ${base} AND sha256 IS NULL AND size > 0`).get() as { n: number }).n === 0;

  const weakList = WEAK_CAPTURE_SOURCES.map((s) => `'${s}'`).join(", ");
  const weakRows = db
    .prepare(`SELECT capture_source AS s, COUNT(*) AS n ${base} AND kind IN ('photo', 'video', 'raw') AND capture_source IN (${weakList}) GROUP BY s`)
    .all() as { s: string; n: number }[];
  const examples = (
    db.prepare(`SELECT rel_path ${base} AND kind IN ('photo', 'video', 'raw') AND capture_source IN (${weakList}) ORDER BY rel_path LIMIT 10`).all() as { rel_path: string }[]
  ).map((r) => r.rel_path);
  const albums = db
    .prepare("SELECT a.name AS name, COUNT(ai.item_id) AS files FROM albums a LEFT JOIN album_items ai ON ai.album_id = a.id GROUP BY a.id ORDER BY a.name")
    .all() as { name: string; files: number }[];
  const unreadable = (
    db.prepare(`SELECT rel_path AS path, error AS reason ${base} AND error IS NOT NULL ORDER BY rel_path`).all() as { path: string; reason: string }[]
  );
  const missing = (db.prepare("SELECT COUNT(*) AS n FROM items WHERE missing = 1").get() as { n: number }).n;

  // Time: conversions per core in parallel; copies limited by the disk.
  const work = db
    .prepare(
      `SELECT COALESCE(SUM(kind = 'photo' AND needs_conversion = 1), 0) AS photos,
       COALESCE(SUM(CASE WHEN kind = 'video' AND needs_conversion = 1 THEN COALESCE(duration, 3) ELSE 0 END), 0) AS videoSeconds,
       COALESCE(SUM(CASE WHEN needs_conversion = 0 THEN size ELSE 0 END), 0) AS copyBytes,
       COALESCE(SUM(${outExpr}), 0) AS out
       ${base} AND error IS NULL`,
    )
    .get() as { photos: number; videoSeconds: number; copyBytes: number; out: number };
  const seconds = Math.round(
    (work.photos * m.photoSeconds + work.videoSeconds * m.videoSecondsPerSecond) / cores + work.copyBytes / m.copyBytesPerSecond,
  );

  let freeBytes: number | null = null;
  try {
    const s = await statfs(options.workspace);
    freeBytes = Number(s.bavail) * Number(s.bsize);
  } catch {
    freeBytes = null;
  }
  const batchSize = options.batchSize ?? freeBytes;
  const batches = makeBatches(yearRows, batchSize);
  return {
    workspace: options.workspace,
    sources: options.sources,
    totals,
    byYear,
    byKind,
    livePhotoPairs: groupCount("live"),
    bursts,
    edits: {
      sets: groupCount("edit"),
      edited: editRoles.find((r) => r.role === "edit")?.n ?? 0,
      sidecars: db.prepare(`SELECT COUNT(*) AS n ${base} AND kind = 'sidecar'`).pluck().get() as number,
      orphanSidecars,
    },
    needsConversion: needs,
    duplicates: { ...dup, hashed },
    weakCaptureTime: { files: weakRows.reduce((n, r) => n + r.n, 0), bySource: Object.fromEntries(weakRows.map((r) => [r.s, r.n])), examples },
    albums,
    unreadable,
    missing,
    estimate: {
      outputBytes: Math.round(work.out),
      seconds,
      cores,
      basis: options.calibration ? "calibrated" : "model",
      ...(options.calibration ? { calibratedAt: options.calibration.measuredAt } : {}),
    },
    destination: { path: options.workspace, freeBytes, fits: freeBytes === null ? null : work.out <= freeBytes },
    batchSize: batchSize ?? null,
    batches,
  };
}

/** Batches by capture year; a year larger than `limit` is split into runs of whole months. */
export function makeBatches(rows: YearRow[], limit: number | null | undefined): Batch[] {
  const batches: Batch[] = [];
  const years = new Map<number | null, YearRow[]>();
  for (const r of rows) years.set(r.year, [...(years.get(r.year) ?? []), r]);
  for (const [year, months] of years) {
    const name = year === null ? "undated" : String(year);
    const total = months.reduce((n, r) => n + r.out, 0);
    if (!limit || total <= limit || year === null) {
      batches.push({
        name,
        year,
        files: months.reduce((n, r) => n + r.files, 0),
        bytes: months.reduce((n, r) => n + r.bytes, 0),
        outputBytes: Math.round(total),
      });
      continue;
    }
    let cur: Batch | null = null;
    for (const r of months) {
      if (cur && cur.outputBytes + r.out > limit) {
        batches.push(cur);
        cur = null;
      }
      cur ??= { name: "", year, fromMonth: r.month ?? 1, toMonth: r.month ?? 12, files: 0, bytes: 0, outputBytes: 0 };
      cur.toMonth = r.month ?? 12;
      cur.files += r.files;
      cur.bytes += r.bytes;
      cur.outputBytes += Math.round(r.out);
    }
    if (cur) batches.push(cur);
  }
  for (const b of batches) {
    if (b.fromMonth !== undefined) {
      const mm = (n: number | undefined) => String(n).padStart(2, "0");
      b.name = `${b.year}-${mm(b.fromMonth)}..${mm(b.toMonth)}`;
    }
  }
  return batches;
}
