import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeAtomically, type Catalog, lastRun, type RunRecord } from "@archive/core";
import * as q from "./data.js";
import type { Failure } from "./data.js";
import { renderHtml, type ReportData } from "./html.js";
import { cachedIds, cachedThumbIds, makeThumbs } from "./thumbs.js";

export { renderHtml, timelineSvg, esc, type ReportData } from "./html.js";
export { makeThumbs, thumbNames, cachedIds, cachedThumbIds, withIcc, THUMB_SIZE, type Thumb, type ThumbPair } from "./thumbs.js";
export {
  timeline, bytesByYear, bytesByKind, jobCounts, failures, duplicates, sample, totals, skippedReasons, TIMELINE_WHERE,
  type MonthCount, type BytesRow, type JobCounts, type Failure, type DuplicateSummary, type SampleItem,
} from "./data.js";

/** The report folder inside a workspace. */
export const REPORT_DIR = "report";

export interface ReportOptions {
  /** The workspace root; the page goes to <root>/report/index.html. */
  root: string;
  catalog: Catalog;
  /** Spot-check items (default 24; 0 for none). */
  sampleSize?: number;
  /** Only sample items whose thumbnails are already cached: never decodes (benchmarks, quick looks). */
  cachedThumbsOnly?: boolean;
  /** Failures listed on the page at most (default 10,000; the total is always shown). */
  maxFailures?: number;
  ffmpeg?: string;
  signal?: AbortSignal;
  /** Called after each spot-check item's thumbnails are ready. */
  onThumb?: (done: number, total: number) => void;
}

export interface ReportResult {
  /** Absolute path of index.html. */
  file: string;
  bytes: number;
  months: number;
  failures: number;
  sampled: number;
  thumbsGenerated: number;
  thumbsCached: number;
  /** Items whose thumbnail could not be made (path: reason); the page shows the reason too. */
  thumbErrors: { path: string; reason: string }[];
  timings: { queryMs: number; thumbsMs: number; renderMs: number; totalMs: number };
}

/** Build <root>/report/index.html from the catalog: every number aggregated in SQL, thumbnails cached. */
export async function buildReport(options: ReportOptions): Promise<ReportResult> {
  const t0 = performance.now();
  const cat = options.catalog;
  const reportDir = join(options.root, REPORT_DIR);
  const n = options.sampleSize ?? 24;
  let picked: q.SampleItem[];
  if (options.cachedThumbsOnly) {
    const candidates = q.sample(cat, n * 2, cachedThumbIds(reportDir));
    const current = cachedIds(reportDir, candidates);
    picked = candidates.filter((c) => current.has(c.id)).slice(0, n);
  } else picked = q.sample(cat, n);
  const plan = lastRun(cat, "plan") as RunRecord<Record<string, unknown>> | null;
  const convert = lastRun(cat, "convert");
  const verify = lastRun(cat, "verify") as RunRecord<Record<string, unknown>> | null;
  const partial = {
    workspace: options.root,
    generatedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    totals: q.totals(cat),
    timeline: q.timeline(cat),
    bytesByYear: q.bytesByYear(cat),
    bytesByKind: q.bytesByKind(cat),
    plan: plan ? { finishedAt: plan.finishedAt, summary: plan.summary ?? {} } : null,
    convert: convert ? { finishedAt: convert.finishedAt, status: convert.status } : null,
    jobs: q.jobCounts(cat),
    skipped: q.skippedReasons(cat),
    verify: verify ? { finishedAt: verify.finishedAt, status: verify.status, summary: verify.summary ?? {} } : null,
    failures: withVerifyFailures(q.failures(cat, options.maxFailures ?? 10_000), verify?.summary),
    duplicates: q.duplicates(cat),
  };
  const t1 = performance.now();
  const thumbs = await makeThumbs(picked, {
    root: options.root,
    reportDir,
    ...(options.ffmpeg !== undefined ? { ffmpeg: options.ffmpeg } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onThumb ? { onThumb: options.onThumb } : {}),
  });
  const t2 = performance.now();
  const data: ReportData = {
    ...partial,
    sample: picked.flatMap((item) => {
      const p = thumbs.pairs.get(item.id);
      return p ? [{ item, thumbs: p }] : [];
    }),
  };
  const html = renderHtml(data);
  const file = join(reportDir, "index.html");
  await writeAtomically(file, (tmp) => writeFile(tmp, html));
  const t3 = performance.now();
  const thumbErrors: { path: string; reason: string }[] = [];
  for (const s of data.sample) {
    for (const t of [s.thumbs.source, s.thumbs.output]) if ("error" in t) thumbErrors.push({ path: s.item.relPath, reason: t.error });
  }
  return {
    file,
    bytes: Buffer.byteLength(html),
    months: data.timeline.months.length,
    failures: data.failures.total,
    sampled: data.sample.length,
    thumbsGenerated: thumbs.generated,
    thumbsCached: thumbs.cached,
    thumbErrors,
    timings: { queryMs: t1 - t0, thumbsMs: t2 - t1, renderMs: t3 - t2, totalMs: t3 - t0 },
  };
}

/** The latest verify run's failures (kept in its run record) join the scan and convert ones. */
function withVerifyFailures(f: { list: Failure[]; total: number }, summary: Record<string, unknown> | undefined): { list: Failure[]; total: number } {
  const found = Array.isArray(summary?.failures) ? (summary.failures as { check: string; path: string; reason: string }[]) : [];
  return {
    list: [...f.list, ...found.map((x) => ({ stage: "verify" as const, path: x.path, reason: `${x.check}: ${x.reason}` }))],
    total: f.total + found.length,
  };
}
