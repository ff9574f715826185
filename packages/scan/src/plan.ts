import { statfs } from "node:fs/promises";
import type { Calibration, Catalog, DayRow, PlanSummary } from "@archive/core";
import {
  WEAK_CAPTURE_SOURCES,
  countUnresolved,
  planAlbums,
  exportLedger,
  ledger,
  planDays,
  planDuplicates,
  planChangedSinceArchived,
  planExtensionMismatches,
  planGroups,
  planKinds,
  planMissingCount,
  planNeedsConversion,
  planProblems,
  planTotals,
  planWeakCapture,
  planWork,
} from "@archive/core";
import { makeBatches } from "./batches.js";

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

export interface PlanOptions {
  workspace: string;
  sources: string[];
  /** Largest batch in estimated output bytes; default: the destination's free space. */
  batchSize?: number;
  cores?: number;
  calibration?: Calibration | null;
  keepOriginals?: boolean;
}

/** Files, bytes, photos and videos by capture year ("undated" for none). */
function byYear(days: readonly DayRow[]): PlanSummary["byYear"] {
  const out: PlanSummary["byYear"] = {};
  for (const r of days) {
    const y = (out[r.year === null ? "undated" : String(r.year)] ??= { files: 0, bytes: 0, photos: 0, videos: 0 });
    y.files += r.files;
    y.bytes += r.bytes;
    y.photos += r.photos;
    y.videos += r.videos;
  }
  return out;
}

/** Free bytes on the destination's file system, or null when it cannot be asked. */
async function freeSpace(path: string): Promise<number | null> {
  try {
    const s = await statfs(path);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

/** The estimate: output bytes and time (conversions per core in parallel; copies limited by the disk). */
function estimate(catalog: Catalog, options: PlanOptions, cores: number): PlanSummary["estimate"] & { out: number } {
  const m = { ...ESTIMATE_MODEL, ...(options.calibration ?? {}) };
  const work = planWork(catalog, { ...m, keepOriginals: options.keepOriginals ?? false });
  const seconds = Math.round((work.photos * m.photoSeconds + work.videoSeconds * m.videoSecondsPerSecond) / cores + work.copyBytes / m.copyBytesPerSecond);
  return {
    out: work.out,
    outputBytes: Math.round(work.out),
    seconds,
    cores,
    basis: options.calibration ? "calibrated" : "model",
    ...(options.calibration ? { calibratedAt: options.calibration.measuredAt } : {}),
  };
}

/** Summarise the catalog for the plan: all aggregates are SQL, so memory does not grow with the library. */
export async function summarisePlan(catalog: Catalog, options: PlanOptions): Promise<PlanSummary> {
  const cores = Math.max(1, options.cores ?? 2);
  const m = { ...ESTIMATE_MODEL, ...(options.calibration ?? {}), keepOriginals: options.keepOriginals ?? false };
  const days = planDays(catalog, m);
  const { out, ...est } = estimate(catalog, options, cores);
  const freeBytes = await freeSpace(options.workspace);
  const batchSize = options.batchSize ?? freeBytes;
  const unresolved = countUnresolved(catalog);
  return {
    workspace: options.workspace,
    sources: options.sources,
    totals: planTotals(catalog),
    byYear: byYear(days),
    byKind: planKinds(catalog),
    ...planGroups(catalog),
    needsConversion: planNeedsConversion(catalog),
    duplicates: planDuplicates(catalog),
    weakCaptureTime: planWeakCapture(catalog, WEAK_CAPTURE_SOURCES),
    albums: planAlbums(catalog),
    export: exportLedger(catalog),
    ledger: ledger(catalog),
    unreadable: planProblems(catalog, false),
    skipped: planProblems(catalog, true),
    unresolved: { unresolved: unresolved.unresolved, accepted: unresolved.accepted },
    extensionMismatch: planExtensionMismatches(catalog),
    changedSinceArchived: planChangedSinceArchived(catalog),
    missing: planMissingCount(catalog),
    estimate: est,
    destination: { path: options.workspace, freeBytes, fits: freeBytes === null ? null : out <= freeBytes },
    batchSize: batchSize ?? null,
    batches: makeBatches(days, batchSize),
  };
}
