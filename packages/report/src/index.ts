import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  countUnresolved,
  lastRun,
  ledger,
  listProblemsAndUnreadable,
  reportBytesByKind,
  reportBytesByYear,
  reportDuplicates,
  reportFailures,
  reportJobCounts,
  reportSample,
  reportSkippedReasons,
  reportTimeline,
  reportTotals,
  writeAtomically,
  type Catalog,
  type ReportFailure,
  type SampleItem,
  type UnresolvedRow,
  type VerifySummary,
} from "@archive/core";
import { renderHtml, type ReportData } from "./html.js";
import { cachedIds, cachedThumbIds, makeThumbs } from "./thumbs.js";
import { gatherHandoff } from "./handoff.js";

export { renderHtml, timelineSvg, esc, type ReportData } from "./html.js";
export { makeThumbs, thumbNames, cachedIds, cachedThumbIds, withIcc, displayOrientation, THUMB_SIZE, type Thumb, type ThumbPair } from "./thumbs.js";
// The page's queries live in the catalog (core/src/catalog/report.ts); these names are the report's API.
export {
  reportTimeline as timeline,
  reportBytesByYear as bytesByYear,
  reportBytesByKind as bytesByKind,
  reportJobCounts as jobCounts,
  reportFailures as failures,
  reportDuplicates as duplicates,
  reportSample as sample,
  reportTotals as totals,
  reportSkippedReasons as skippedReasons,
  TIMELINE_WHERE,
  type MonthCount,
  type BytesRow,
  type JobCounts,
  type ReportFailure as Failure,
  type DuplicateSummary,
  type SampleItem,
} from "@archive/core";

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
  /** Unreadable or skipped source entries nobody has accepted yet, and those accepted (--accept-unreadable). */
  unresolved: number;
  accepted: number;
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
  const reportDir = join(options.root, REPORT_DIR);
  const picked = pickSample(options.catalog, reportDir, options.sampleSize ?? 24, options.cachedThumbsOnly === true);
  const partial = gather(options.catalog, options.root, options.maxFailures ?? 10_000);
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
  return {
    file,
    bytes: Buffer.byteLength(html),
    months: data.timeline.months.length,
    failures: data.failures.total,
    unresolved: partial.unresolved.unresolved,
    accepted: partial.unresolved.accepted,
    sampled: data.sample.length,
    thumbsGenerated: thumbs.generated,
    thumbsCached: thumbs.cached,
    thumbErrors: thumbErrorsOf(data),
    timings: { queryMs: t1 - t0, thumbsMs: t2 - t1, renderMs: t3 - t2, totalMs: t3 - t0 },
  };
}

/** The spot-check items: a fresh sample, or (cachedOnly) only items whose thumbnails are current in the cache. */
function pickSample(cat: Catalog, reportDir: string, n: number, cachedOnly: boolean): SampleItem[] {
  if (!cachedOnly) return reportSample(cat, n);
  const candidates = reportSample(cat, n * 2, cachedThumbIds(reportDir));
  const current = cachedIds(reportDir, candidates);
  return candidates.filter((c) => current.has(c.id)).slice(0, n);
}

/** Everything on the page except the spot check, read from the catalog and the typed run records. */
function gather(cat: Catalog, root: string, maxFailures: number): Omit<ReportData, "sample" | "unresolved"> & Required<Pick<ReportData, "unresolved">> {
  const plan = lastRun(cat, "plan");
  const convert = lastRun(cat, "convert");
  const verify = lastRun(cat, "verify");
  return {
    workspace: root,
    generatedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    totals: reportTotals(cat),
    timeline: reportTimeline(cat),
    bytesByYear: reportBytesByYear(cat),
    bytesByKind: reportBytesByKind(cat),
    plan: plan?.summary ? { finishedAt: plan.finishedAt, summary: plan.summary } : null,
    convert: convert ? { finishedAt: convert.finishedAt, status: convert.status } : null,
    jobs: reportJobCounts(cat),
    skipped: reportSkippedReasons(cat),
    verify: verify?.summary ? { finishedAt: verify.finishedAt, status: verify.status, summary: verify.summary } : null,
    failures: withVerifyFailures(reportFailures(cat, maxFailures), verify?.summary ?? null),
    unresolved: unresolvedOf(cat, maxFailures),
    duplicates: reportDuplicates(cat),
    ledger: ledger(cat, maxFailures),
    handoff: gatherHandoff(cat, root),
  };
}

/** Unreadable and skipped source entries, the unresolved ones first (at most `limit` listed). */
export function unresolvedOf(cat: Catalog, limit: number): { list: UnresolvedRow[]; unresolved: number; accepted: number } {
  const counts = countUnresolved(cat);
  const open: UnresolvedRow[] = [];
  const accepted: UnresolvedRow[] = [];
  for (const r of listProblemsAndUnreadable(cat)) {
    const into = r.acceptedAt === null ? open : accepted;
    if (into.length < limit) into.push(r);
    if (open.length >= limit) break;
  }
  return { list: [...open, ...accepted].slice(0, limit), unresolved: counts.unresolved, accepted: counts.accepted };
}

/** The latest verify run's failures (kept in its run record by the verify library) join the scan and convert ones. */
function withVerifyFailures(f: { list: ReportFailure[]; total: number }, summary: VerifySummary | null): { list: ReportFailure[]; total: number } {
  const found = summary?.failures ?? [];
  return {
    list: [...f.list, ...found.map((x) => ({ stage: "verify" as const, path: x.path, reason: `${x.check}: ${x.reason}` }))],
    total: f.total + found.length,
  };
}

function thumbErrorsOf(data: ReportData): { path: string; reason: string }[] {
  const out: { path: string; reason: string }[] = [];
  for (const s of data.sample) {
    for (const t of [s.thumbs.source, s.thumbs.output]) if ("error" in t) out.push({ path: s.item.relPath, reason: t.error });
  }
  return out;
}
