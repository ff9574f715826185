import { rm } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { closeZipSources, withZipSources } from "./zip-source.js";
import { join } from "node:path";
import {
  ArchiveError,
  HashCache,
  HashPool,
  HeifDecoder,
  TEMP_MARKER,
  clearSelection,
  execTool,
  finishRun,
  forEachLimit,
  hasSelectedStill,
  isDiskFull,
  listSources,
  listUnresolved,
  noEvents,
  reasonOf,
  resolveTool,
  selectForConvert,
  selectedItems,
  selectedLiveVideos,
  selectionNeedsConversion,
  startRun,
  walkTree,
  writeError,
  type ConvertItemRow,
  type ConvertSummary,
} from "@archive/core";
import { CalibrationAccumulator } from "./calibration.js";
import type { RunContext } from "./context.js";
import { handleItem } from "./item.js";
import { finishPendingOrganisation, updateOrganisation } from "./organisation.js";
import { RunJournal } from "./journal.js";
import { redoTargets } from "./redo.js";
import { emptyResult, type ConvertOptions, type ConvertResult } from "./types.js";
import { probeFilters, type VideoTools } from "./video.js";

export type { Action, OrganisedOutput, ChangedSource, ConvertFilter, ConvertOptions, ConvertResult, PlannedItem, RedoneOutput } from "./types.js";

/**
 * Items in flight by default: one more than the cores. A photo's decode runs in ffmpeg and a
 * worker thread while its node-side steps (encode hand-off, hashing, journal) wait: with one
 * more item the cores stay busy (bench/convert-photo.mjs: 6.5 s -> 5.7 s for 20 photos on 2 cores).
 */
export function defaultConvertJobs(): number {
  return availableParallelism() + 1;
}

/** Remove temporary files a crashed run left behind (they never carry a final name). */
async function sweepTemps(root: string): Promise<number> {
  let n = 0;
  for (const top of ["converted", "originals"]) {
    for await (const e of walkTree(join(root, top))) {
      if (e.kind === "file" && e.path.split("/").pop()!.startsWith(TEMP_MARKER)) {
        await rm(e.abs, { force: true });
        n++;
      }
    }
  }
  return n;
}

/** ffmpeg and ffprobe for this run, or why videos must wait (photos convert regardless). */
async function videoTools(o: ConvertOptions): Promise<{ tools: VideoTools | null; origin: string | null; missing: string | null }> {
  try {
    const ff = resolveTool("ffmpeg", o.ffmpeg);
    const fp = resolveTool("ffprobe", o.ffprobe);
    const filters = await probeFilters(ff.path);
    await execTool(fp.path, ["-version"], { timeoutMs: 20_000 }); // found now, not at the first video
    return { tools: { ffmpeg: ff.path, ffprobe: fp.path, filters }, origin: `${ff.path} (${ff.origin})`, missing: null };
  } catch (err) {
    if (!(err instanceof ArchiveError) || err.code !== "E_TOOL_MISSING") throw err;
    const missing = `ffmpeg not found${err.message.startsWith("ffprobe") ? " (ffprobe)" : ""}: the video waits; install ffmpeg or pass --ffmpeg/--ffprobe, then run archive convert again`;
    return { tools: null, origin: null, missing };
  }
}

/**
 * The ffmpeg that decodes HEIC pixels natively (core/media/heif-native.ts), or null for libheif
 * wasm alone: none found, or ARCHIVE_HEIF_DECODER=wasm (benchmarks and parity checks). The npm
 * registry's static build first when installed (it starts faster than a distribution's).
 */
function photoFfmpeg(o: ConvertOptions): string | null {
  if (process.env.ARCHIVE_HEIF_DECODER === "wasm") return null;
  try {
    return resolveTool("ffmpeg", o.ffmpeg, { prefer: "npm" }).path;
  } catch {
    return null;
  }
}

/** Select the items, start the tools the selection needs, and open the run. */
async function openRun(o: ConvertOptions): Promise<RunContext> {
  const cat = o.catalog;
  const dry = o.dryRun ?? false;
  const redo = o.redo?.length ? redoTargets(cat, o.root, o.redo) : new Map();
  const result = emptyResult();
  result.selected = selectForConvert(cat, redo.size ? { itemIds: [...redo.keys()] } : (o.filter ?? {}));
  const runId = dry ? 0 : startRun(cat, "convert");
  if (!dry) await sweepTemps(o.root);
  let video = { tools: null as VideoTools | null, origin: null as string | null, missing: null as string | null };
  // also in a dry run, so it can say which videos would wait for ffmpeg
  if (selectionNeedsConversion(cat, "video")) video = await videoTools(o);
  result.ffmpeg = video.origin;
  return {
    root: o.root, catalog: cat, exiftool: o.exiftool, quality: o.quality ?? 90, hdr: o.hdr ?? true, layout: o.layout ?? "mirror",
    link: o.link ?? false, keepOriginals: o.keepOriginals ?? false, dry, signal: o.signal,
    multiSource: listSources(cat).length > 1, result, journal: new RunJournal(cat, runId, dry),
    calibration: new CalibrationAccumulator(), hashes: new HashPool(Math.min(2, availableParallelism())), cache: new HashCache(cat),
    heif: !dry && selectionNeedsConversion(cat, "photo") ? new HeifDecoder(undefined, { ffmpeg: photoFfmpeg(o) }) : null,
    video: video.tools, videoMissing: video.missing, redo,
  };
}

/** The selected items as units: a Live Photo's video is handled with its still when the still is selected and readable. */
function* units(ctx: RunContext): Generator<ConvertItemRow> {
  for (const it of selectedItems(ctx.catalog)) {
    if (it.live_role === "video" && it.live_group !== null && hasSelectedStill(ctx.catalog, it.live_group)) continue;
    yield it;
  }
}

/** One unit: the item, then (for a Live Photo still) its videos under the still's base name. */
async function handleUnit(ctx: RunContext, it: ConvertItemRow): Promise<number> {
  const stem = await handleItem(ctx, it);
  let count = 1;
  if (it.live_role === "still" && it.live_group !== null) {
    for (const v of selectedLiveVideos(ctx.catalog, it.live_group)) {
      // same base name for the still and its video, so they stay recognisably a pair
      await handleItem(ctx, v, stem);
      count++;
    }
  }
  return count;
}

/** What the walk met but could not catalog (unreadable folders, links, FIFOs, ...), not accepted: named in every summary. */
function walkProblems(ctx: RunContext): void {
  for (const u of listUnresolved(ctx.catalog)) {
    if (u.kind === "item") continue; // unreadable files are selected items: reported as failed or unresolved already
    if (ctx.result.unresolved.length >= 1000) break;
    ctx.result.unresolved.push({ path: u.path, reason: u.reason });
  }
}

/** Close the tools, record the run's summary, drop the selection. */
async function closeRun(ctx: RunContext, started: number): Promise<void> {
  const r = ctx.result;
  await ctx.heif?.close();
  await ctx.hashes.close();
  r.stoppedEarly = ctx.signal?.aborted ?? false;
  r.durationMs = Date.now() - started;
  walkProblems(ctx);
  const calibration = ctx.calibration.result();
  if (calibration) r.calibration = calibration;
  try {
    if (!ctx.dry) finishRun(ctx.catalog, ctx.journal.runId, "convert", r.stoppedEarly ? "interrupted" : r.failed.length || r.fixity.length ? "failures" : "ok", summaryOf(r));
    clearSelection(ctx.catalog);
  } catch {
    // a full disk can refuse even this; the journal already holds every finished job
  }
}

/** The run record's summary: counts, and the list of what --redo replaced. */
export function summaryOf(r: ConvertResult): ConvertSummary {
  const { planned: _p, skipped, failed, warnings, pending, fixity, renamed, unresolved, calibration, changed, originalsKept, organised, ...rest } = r;
  return {
    ...rest,
    skipped: skipped.length, failed: failed.length, warnings: warnings.length, pending: pending.length,
    fixity: fixity.length, renamed: renamed.length, unresolved: unresolved.length,
    changed: changed.length, originalsKept: originalsKept.length, organised: organised.length,
    ...(calibration ? { calibration } : {}),
  };
}

/**
 * Convert the selected catalog items into the workspace: HEIC/HEIF -> JPEG, non-H.264 or HDR
 * video -> H.264 MP4, everything already universal copied byte-exact. Incremental and
 * crash-safe: every output is written under a temporary name and renamed into place, and the
 * job journal records it (with its SHA-256) only after the rename.
 */
export async function convertLibrary(options: ConvertOptions): Promise<ConvertResult> {
  const started = Date.now();
  const onEvent = options.onEvent ?? noEvents;
  const ctx = await openRun(options);
  const r = ctx.result;
  let done = 0;
  onEvent({ kind: "stage", stage: "convert", total: r.selected });
  try {
    if (!ctx.dry) await finishPendingOrganisation(ctx);
    await forEachLimit(
      units(ctx),
      options.jobs ?? defaultConvertJobs(),
      async (it) => {
        done += await withZipSources(ctx, it, () => handleUnit(ctx, it));
        onEvent({ kind: "progress", stage: "convert", done, total: r.selected, bytes: r.bytesIn, failed: r.failed.length });
      },
      options.signal,
    );
    // a newer export's favorites, hidden flags and albums, into the outputs already archived
    await updateOrganisation(ctx);
  } catch (err) {
    // the catalog shares the destination: SQLITE_FULL there means the same full disk
    if (!(err instanceof ArchiveError) && isDiskFull(err)) throw writeError(Object.assign(new Error(reasonOf(err)), { code: "ENOSPC" }), options.root);
    throw err;
  } finally {
    await closeZipSources(ctx);
    await closeRun(ctx, started);
  }
  return r;
}
