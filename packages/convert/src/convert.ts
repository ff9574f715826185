import { constants as fsc } from "node:fs";
import { copyFile, link, lstat, rm, stat, statfs } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { basename, join, posix } from "node:path";
import fg from "fast-glob";
import type { Catalog, ExifTool, OnEvent } from "@archive/core";
import {
  ArchiveError,
  HashCache,
  HashPool,
  forEachLimit,
  insideWorkspace,
  isDiskFull,
  isFatalWriteError,
  noEvents,
  reasonOf,
  resolveTool,
  setMtime,
  TEMP_MARKER,
  writeAtomically,
  writeError, listSources, startRun, finishRun,
  archivedOutputFor, currentArchiveOf, currentDuplicateOf, recordContentHash } from "@archive/core";
import { HeifDecoder } from "@archive/core";
import { candidateName, outputDir, splitName, type Layout } from "./layout.js";
import { convertHeif } from "./photo.js";
import { convertVideo, probeFilters, type VideoTools } from "./video.js";

/** Which items to convert; Live Photo partners, edits and sidecars always follow their item. */
export interface ConvertFilter {
  year?: number;
  /** Inclusive capture dates, "YYYY-MM-DD", in each item's own local time. */
  from?: string;
  to?: string;
  kind?: "photo" | "video" | "live";
  album?: string;
}

export interface ConvertOptions {
  /** Workspace root; outputs go under converted/ (and originals/). */
  root: string;
  catalog: Catalog;
  exiftool: ExifTool;
  filter?: ConvertFilter;
  /** Items in flight (default: cores). */
  jobs?: number;
  quality?: number;
  /** Keep an HDR gain map as ISO 21496-1 in the JPEG (default true; false: SDR base image only). */
  hdr?: boolean;
  layout?: Layout;
  keepOriginals?: boolean;
  /** Hard-link already-universal files from the source instead of copying (same filesystem). */
  link?: boolean;
  dryRun?: boolean;
  ffmpeg?: string;
  ffprobe?: string;
  onEvent?: OnEvent;
  signal?: AbortSignal;
}

export type Action = "convert" | "copy" | "link" | "duplicate";

export interface PlannedItem {
  path: string;
  action: Action | "skip" | "fail";
  output?: string;
  reason?: string;
}

/** What a run did, per outcome (osxphotos-style lists); the CLI's summary and exit code come from it. */
export interface ConvertResult {
  selected: number;
  converted: number;
  copied: number;
  linked: number;
  duplicates: number;
  alreadyDone: number;
  skipped: { path: string; reason: string }[];
  failed: { path: string; reason: string }[];
  warnings: { path: string; message: string }[];
  /** Dry run: what would happen (the first 1,000 items). */
  planned: PlannedItem[];
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  ffmpeg: string | null;
  stoppedEarly: boolean;
  /** Measured speeds for `plan`'s estimate (absent when nothing was converted). */
  calibration?: { photoSeconds: number; videoSecondsPerSecond: number; heicToJpegBytes?: number; hevcToH264Bytes?: number; measuredAt: string };
}

interface Item {
  id: number;
  source_id: number;
  root: string;
  rel_path: string;
  name: string;
  size: number;
  mtime_ms: number;
  ino: number | null;
  format: string;
  kind: string;
  capture_utc_ms: number | null;
  capture_year: number | null;
  capture_month: number | null;
  width: number | null;
  height: number | null;
  orientation: number | null;
  make: string | null;
  needs_conversion: number;
  error: string | null;
  sha256: string | null;
  live_group: number | null;
  live_role: string | null;
}

interface JobRow {
  status: string;
  action: string;
  output_rel: string | null;
  source_size: number | null;
  source_mtime_ms: number | null;
}

const PAGE = 200;

/** Build the selection as a temporary table of item ids: filter, then add group partners. */
function selectItems(catalog: Catalog, f: ConvertFilter): number {
  const where: string[] = ["i.missing = 0"];
  const params: unknown[] = [];
  if (f.year !== undefined) {
    where.push("i.capture_year = ?");
    params.push(f.year);
  }
  if (f.from) {
    where.push("substr(i.capture_local, 1, 10) >= ?");
    params.push(f.from);
  }
  if (f.to) {
    where.push("substr(i.capture_local, 1, 10) <= ?");
    params.push(f.to);
  }
  if (f.kind === "photo") where.push("i.kind IN ('photo', 'raw')");
  if (f.kind === "video") where.push("i.kind = 'video'");
  if (f.kind === "live") {
    where.push("EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id AND g.type = 'live' WHERE gm.item_id = i.id)");
  }
  if (f.album !== undefined) {
    where.push("i.id IN (SELECT ai.item_id FROM album_items ai JOIN albums a ON a.id = ai.album_id WHERE a.name = ?)");
    params.push(f.album);
  }
  const db = catalog.db;
  db.exec("DROP TABLE IF EXISTS temp.sel");
  db.exec("CREATE TEMP TABLE sel (id INTEGER PRIMARY KEY)");
  db.prepare(`INSERT OR IGNORE INTO temp.sel SELECT i.id FROM items i WHERE ${where.join(" AND ")}`).run(...params);
  // Partners: the other half of a Live Photo; an original's edits and sidecars (and the reverse).
  db.exec(`INSERT OR IGNORE INTO temp.sel
    SELECT gm2.item_id FROM temp.sel s JOIN group_members gm ON gm.item_id = s.id
    JOIN groups g ON g.id = gm.group_id AND g.type IN ('live', 'edit')
    JOIN group_members gm2 ON gm2.group_id = g.id JOIN items i2 ON i2.id = gm2.item_id AND i2.missing = 0`);
  return (db.prepare("SELECT COUNT(*) AS n FROM temp.sel").get() as { n: number }).n;
}

function* pages(catalog: Catalog): Generator<Item> {
  const q = catalog.db.prepare(
    `SELECT i.id, i.source_id, s.root, i.rel_path, i.name, i.size, i.mtime_ms, i.ino, i.format, i.kind,
       i.capture_utc_ms, i.capture_year, i.capture_month, i.width, i.height, i.orientation, i.make,
       i.needs_conversion, i.error, i.sha256,
       (SELECT gm.group_id FROM group_members gm JOIN groups g ON g.id = gm.group_id AND g.type = 'live' WHERE gm.item_id = i.id LIMIT 1) AS live_group,
       (SELECT gm.role FROM group_members gm JOIN groups g ON g.id = gm.group_id AND g.type = 'live' WHERE gm.item_id = i.id LIMIT 1) AS live_role
     FROM temp.sel t JOIN items i ON i.id = t.id JOIN sources s ON s.id = i.source_id
     WHERE i.id > ? ORDER BY i.id LIMIT ${PAGE}`,
  );
  let last = 0;
  for (;;) {
    const rows = q.all(last) as Item[];
    if (!rows.length) return;
    for (const r of rows) yield r;
    last = rows[rows.length - 1]!.id;
  }
}

/** Under 1 MiB free: a failure there is the disk's, not the file's (tools word it in many ways). */
async function nearlyFull(root: string): Promise<boolean> {
  try {
    const s = await statfs(root);
    return Number(s.bavail) * Number(s.bsize) < 1024 * 1024;
  } catch {
    return false;
  }
}

/** Remove temporary files a crashed run left behind (they never carry a final name). */
async function sweepTemps(root: string): Promise<number> {
  let n = 0;
  for (const top of ["converted", "originals"]) {
    const stream = fg.stream(`**/${TEMP_MARKER}*`, { cwd: join(root, top), dot: true, onlyFiles: true, suppressErrors: true });
    for await (const rel of stream as AsyncIterable<string>) {
      await rm(join(root, top, rel), { force: true });
      n++;
    }
  }
  return n;
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
  const { catalog, root, exiftool } = options;
  const db = catalog.db;
  const quality = options.quality ?? 90;
  const layout = options.layout ?? "mirror";
  const dry = options.dryRun ?? false;
  const result: ConvertResult = {
    selected: 0,
    converted: 0,
    copied: 0,
    linked: 0,
    duplicates: 0,
    alreadyDone: 0,
    skipped: [],
    failed: [],
    warnings: [],
    planned: [],
    bytesIn: 0,
    bytesOut: 0,
    durationMs: 0,
    ffmpeg: null,
    stoppedEarly: false,
  };
  result.selected = selectItems(catalog, options.filter ?? {});
  const multiSource = listSources(catalog).length > 1;
  const runId = dry ? 0 : startRun(catalog, "convert");
  if (!dry) await sweepTemps(root);

  let video: VideoTools | null = null;
  const needVideo = (db.prepare("SELECT 1 FROM temp.sel t JOIN items i ON i.id = t.id WHERE i.kind = 'video' AND i.needs_conversion = 1 AND i.error IS NULL LIMIT 1").get()) !== undefined;
  if (needVideo && !dry) {
    const ff = resolveTool("ffmpeg", options.ffmpeg);
    const fp = resolveTool("ffprobe", options.ffprobe);
    video = { ffmpeg: ff.path, ffprobe: fp.path, filters: await probeFilters(ff.path) };
    result.ffmpeg = `${ff.path} (${ff.origin})`;
  }
  const needPhotos = (db.prepare("SELECT 1 FROM temp.sel t JOIN items i ON i.id = t.id WHERE i.kind = 'photo' AND i.needs_conversion = 1 AND i.error IS NULL LIMIT 1").get()) !== undefined;
  const heif = needPhotos && !dry ? new HeifDecoder() : null;
  const hashes = new HashPool(Math.min(2, availableParallelism()));
  const cache = new HashCache(catalog);

  const getJob = db.prepare("SELECT status, action, output_rel, source_size, source_mtime_ms FROM jobs WHERE item_id = ?");
  const nameTaken = db.prepare("SELECT 1 FROM jobs WHERE lower(output_rel) = lower(?) AND item_id <> ? LIMIT 1");
  const reserve = db.prepare(
    `INSERT INTO jobs (item_id, action, status, output_rel, source_size, source_mtime_ms, run_id, updated_at)
     VALUES (@item, @action, 'pending', @out, @size, @mtime, @run, @now)
     ON CONFLICT (item_id) DO UPDATE SET action = excluded.action, status = 'pending', output_rel = excluded.output_rel,
       reason = NULL, source_size = excluded.source_size, source_mtime_ms = excluded.source_mtime_ms, run_id = excluded.run_id,
       updated_at = excluded.updated_at, duplicate_of = NULL`,
  );
  const finish = db.prepare(
    `INSERT INTO jobs (item_id, action, status, output_rel, params, reason, output_size, output_sha256, source_size, source_mtime_ms, duplicate_of, run_id, updated_at)
     VALUES (@item, @action, @status, @out, @params, @reason, @osize, @osha, @size, @mtime, @dup, @run, @now)
     ON CONFLICT (item_id) DO UPDATE SET action = excluded.action, status = excluded.status, output_rel = excluded.output_rel,
       params = excluded.params, reason = excluded.reason, output_size = excluded.output_size, output_sha256 = excluded.output_sha256,
       source_size = excluded.source_size, source_mtime_ms = excluded.source_mtime_ms, duplicate_of = excluded.duplicate_of,
       run_id = excluded.run_id, updated_at = excluded.updated_at`,
  );
  const inSelection = db.prepare("SELECT 1 FROM temp.sel WHERE id = ?");

  let photoSeconds = 0;
  let photoCount = 0;
  let photoIn = 0;
  let photoOut = 0;
  let videoSeconds = 0;
  let videoDuration = 0;
  let videoIn = 0;
  let videoOut = 0;
  let done = 0;
  const now = () => new Date().toISOString();

  const sourceOf = (it: Item) => join(it.root, it.rel_path);
  const prefixOf = (it: Item) => (multiSource ? basename(it.root) || `source-${it.source_id}` : "");

  /** Pick a free output name: not used by another item's job, not an unrelated file on disk. */
  async function chooseName(it: Item, dir: string, stem: string, ext: string, previous: string | null): Promise<string> {
    for (let attempt = 1; attempt < 10_000; attempt++) {
      const rel = posix.join(dir, candidateName(stem, ext, attempt));
      if (nameTaken.get(rel, it.id)) continue;
      // a file under our own earlier name is ours (an interrupted run): it will be replaced
      if (previous?.toLowerCase() !== rel.toLowerCase()) {
        const exists = await lstat(insideWorkspace(root, rel)).then(() => true, () => false);
        if (exists) continue;
      }
      return rel;
    }
    throw new ArchiveError("E_WRITE", `no free output name for ${it.rel_path}`);
  }

  function decide(it: Item): Action | "skip" | "fail" {
    if (it.error) return "fail";
    if (it.kind === "other") return "skip";
    if (it.needs_conversion) return "convert";
    return options.link ? "link" : "copy";
  }

  async function sourceSha(it: Item): Promise<string | null> {
    if (it.sha256) return it.sha256;
    try {
      const r = await hashes.hash(sourceOf(it));
      recordContentHash(catalog, it.id, r.sha256, it.size, it.mtime_ms);
      return r.sha256;
    } catch {
      return null;
    }
  }

  function recordFailure(it: Item, reason: string, action: string = "convert"): void {
    result.failed.push({ path: it.rel_path, reason });
    if (!dry) {
      finish.run({ item: it.id, action, status: "failed", out: null, params: null, reason, osize: null, osha: null, size: it.size, mtime: it.mtime_ms, dup: null, run: runId, now: now() });
    }
  }

  /** Handle one item; returns the stem its output got (Live Photo videos reuse the still's). */
  async function handle(it: Item, stemHint?: string): Promise<string | undefined> {
    const action = decide(it);
    const [srcStem, srcExt] = splitName(it.name);
    const stem = stemHint ?? srcStem;
    if (action === "fail") {
      if (dry) result.planned.length < 1000 && result.planned.push({ path: it.rel_path, action, reason: it.error! });
      recordFailure(it, it.error!);
      return undefined;
    }
    if (action === "skip") {
      const reason = "not a photo or video (kept out of the archive)";
      result.skipped.push({ path: it.rel_path, reason });
      if (!dry) finish.run({ item: it.id, action: "copy", status: "skipped", out: null, params: null, reason, osize: null, osha: null, size: it.size, mtime: it.mtime_ms, dup: null, run: runId, now: now() });
      return undefined;
    }
    const prev = getJob.get(it.id) as JobRow | undefined;
    if (prev && prev.status === "done" && prev.source_size === it.size && prev.source_mtime_ms === it.mtime_ms) {
      // a duplicate is done only while another current output still holds its bytes
      const ok =
        prev.action === "duplicate"
          ? currentArchiveOf(catalog, it.id).archived
          : prev.output_rel === null || (await stat(insideWorkspace(root, prev.output_rel)).then(() => true, () => false));
      if (ok) {
        result.alreadyDone++;
        return prev.output_rel ? splitName(posix.basename(prev.output_rel))[0] : stem;
      }
    }
    // One copy of identical content: dedupe's keeper when it ran, else the first archived.
    const sha = dry ? it.sha256 : await sourceSha(it);
    const dup = currentDuplicateOf(catalog, it.id);
    const keeper = dup && (dup.keeperOutput !== null || inSelection.get(dup.keeperId)) ? { id: dup.keeperId } : null;
    const copy = sha ? archivedOutputFor(catalog, sha, it.size, { exceptItem: it.id, pendingRun: runId }) : null;
    const twin = keeper ?? (copy ? { id: copy.itemId } : null);
    if (twin) {
      result.duplicates++;
      if (dry) result.planned.length < 1000 && result.planned.push({ path: it.rel_path, action: "duplicate", reason: `same content as item ${twin.id}` });
      else finish.run({ item: it.id, action: "duplicate", status: "done", out: null, params: null, reason: "same content as another item", osize: null, osha: null, size: it.size, mtime: it.mtime_ms, dup: twin.id, run: runId, now: now() });
      return stem;
    }
    // claim the content before the next await: an identical item in flight now sees this pending job
    if (!dry) reserve.run({ item: it.id, action, out: prev?.output_rel ?? null, size: it.size, mtime: it.mtime_ms, run: runId, now: now() });
    const ext = action === "convert" ? (it.kind === "video" ? ".mp4" : ".jpg") : srcExt;
    const dir = outputDir("converted", layout, it, prefixOf(it));
    const outRel = await chooseName(it, dir, stem, ext, prev?.output_rel ?? null);
    const outStem = splitName(posix.basename(outRel))[0];
    if (dry) {
      if (result.planned.length < 1000) result.planned.push({ path: it.rel_path, action, output: outRel });
      if (action === "convert") result.converted++;
      else if (action === "link") result.linked++;
      else result.copied++;
      return outStem;
    }
    reserve.run({ item: it.id, action, out: outRel, size: it.size, mtime: it.mtime_ms, run: runId, now: now() });
    const src = sourceOf(it);
    const finalAbs = insideWorkspace(root, outRel);
    const warnings: string[] = [];
    const params: Record<string, unknown> = { layout };
    let usedAction: Action = action;
    try {
      const t0 = Date.now();
      await writeAtomically(finalAbs, async (tmp) => {
        if (action === "convert" && it.kind === "video") {
          const v = await convertVideo(video!, exiftool, src, tmp, options.signal);
          warnings.push(...v.warnings);
          Object.assign(params, { codec: "h264", crf: 20, preset: "veryfast", hdrToneMapped: v.hdr });
          if (it.width && it.height && (v.width !== it.width || v.height !== it.height)) {
            warnings.push(`displayed size ${v.width}x${v.height} differs from the source's ${it.width}x${it.height}`);
          }
          videoSeconds += v.encodeSeconds;
          videoDuration += Number.isFinite(v.sourceDuration) ? v.sourceDuration : 0;
        } else if (action === "convert") {
          const p = await convertHeif(heif!, src, tmp, { quality, hdr: options.hdr ?? true });
          warnings.push(...p.warnings);
          Object.assign(params, { quality, icc: p.icc, gainMap: p.gainMap });
          if (it.width && it.height && (p.displayWidth !== it.width || p.displayHeight !== it.height)) {
            throw new Error(`displayed size ${p.displayWidth}x${p.displayHeight} differs from the source's ${it.width}x${it.height}`);
          }
        } else if (action === "link") {
          try {
            await link(src, tmp);
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (code !== "EXDEV" && code !== "EPERM") throw err;
            warnings.push(`cannot hard-link across file systems (${code}); copied instead`);
            usedAction = "copy";
            await copyFile(src, tmp, fsc.COPYFILE_FICLONE);
          }
        } else {
          await copyFile(src, tmp, fsc.COPYFILE_FICLONE);
        }
        // a hard link shares the source's inode: never touch its times
        if (usedAction !== "link" && it.capture_utc_ms !== null) await setMtime(tmp, it.capture_utc_ms);
      });
      const elapsed = (Date.now() - t0) / 1000;
      const st = await stat(finalAbs);
      const h = await hashes.hash(finalAbs);
      cache.store(outRel, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino }, h.sha256);
      if (options.keepOriginals && action === "convert") {
        const origRel = posix.join(outputDir("originals", layout, it, prefixOf(it)), `${outStem}${srcExt}`);
        const origAbs = insideWorkspace(root, origRel);
        await writeAtomically(origAbs, async (tmp) => {
          await copyFile(src, tmp, fsc.COPYFILE_FICLONE);
          if (it.capture_utc_ms !== null) await setMtime(tmp, it.capture_utc_ms);
        });
        params.original = origRel;
      }
      if (warnings.length) params.warnings = warnings;
      for (const w of warnings) result.warnings.push({ path: it.rel_path, message: w });
      finish.run({
        item: it.id, action: usedAction, status: "done", out: outRel, params: JSON.stringify(params), reason: null,
        osize: st.size, osha: h.sha256, size: it.size, mtime: it.mtime_ms, dup: null, run: runId, now: now(),
      });
      result.bytesIn += it.size;
      result.bytesOut += st.size;
      if (action === "convert") {
        result.converted++;
        if (it.kind === "photo") {
          photoSeconds += elapsed;
          photoCount++;
          photoIn += it.size;
          photoOut += st.size;
        } else {
          videoIn += it.size;
          videoOut += st.size;
        }
      } else if (usedAction === "link") result.linked++;
      else result.copied++;
      return outStem;
    } catch (err) {
      if (isFatalWriteError(err) || options.signal?.aborted) throw err;
      // a full destination surfaces as ENOSPC, as SQLITE_FULL, or inside an encoder's message
      if (isDiskFull(err) || (await nearlyFull(root))) {
        throw writeError(Object.assign(new Error(reasonOf(err)), { code: "ENOSPC" }), finalAbs);
      }
      recordFailure(it, reasonOf(err), action);
      return undefined;
    }
  }

  onEvent({ kind: "stage", stage: "convert", total: result.selected });
  const concurrency = options.jobs ?? availableParallelism();
  try {
    const selectedStill = db.prepare(
      `SELECT i.id FROM group_members gm JOIN items i ON i.id = gm.item_id
       WHERE gm.group_id = ? AND gm.role = 'still' AND i.error IS NULL AND i.id IN (SELECT id FROM temp.sel) LIMIT 1`,
    );
    const units = function* () {
      for (const it of pages(catalog)) {
        // a Live Photo video is handled together with its still when the still is selected and readable
        if (it.live_role === "video" && it.live_group !== null && selectedStill.get(it.live_group)) continue;
        yield it;
      }
    };
    const partnerOf = db.prepare(
      `SELECT i.id, i.source_id, s.root, i.rel_path, i.name, i.size, i.mtime_ms, i.ino, i.format, i.kind,
         i.capture_utc_ms, i.capture_year, i.capture_month, i.width, i.height, i.orientation, i.make,
         i.needs_conversion, i.error, i.sha256, gm.group_id AS live_group, gm.role AS live_role
       FROM group_members gm JOIN items i ON i.id = gm.item_id JOIN sources s ON s.id = i.source_id
       WHERE gm.group_id = ? AND gm.role = 'video' AND i.id IN (SELECT id FROM temp.sel)`,
    );
    await forEachLimit(
      units(),
      concurrency,
      async (it) => {
        const stem = await handle(it);
        let count = 1;
        if (it.live_role === "still" && it.live_group !== null) {
          for (const v of partnerOf.all(it.live_group) as Item[]) {
            // same base name for the still and its video, so they stay recognisably a pair
            await handle(v, stem);
            count++;
          }
        }
        done += count;
        onEvent({ kind: "progress", stage: "convert", done, total: result.selected, bytes: result.bytesIn, failed: result.failed.length });
      },
      options.signal,
    );
  } catch (err) {
    // the catalog shares the destination: SQLITE_FULL there means the same full disk
    if (!(err instanceof ArchiveError) && isDiskFull(err)) throw writeError(Object.assign(new Error(reasonOf(err)), { code: "ENOSPC" }), root);
    throw err;
  } finally {
    await heif?.close();
    await hashes.close();
    result.stoppedEarly = options.signal?.aborted ?? false;
    result.durationMs = Date.now() - started;
    if (photoCount || videoDuration) {
      const cores = availableParallelism();
      result.calibration = {
        // each photo occupies one core; x264 uses every core for one video
        photoSeconds: photoCount ? photoSeconds / photoCount : 1.6,
        videoSecondsPerSecond: videoDuration ? (videoSeconds * cores) / videoDuration : 1.5,
        ...(photoIn ? { heicToJpegBytes: photoOut / photoIn } : {}),
        ...(videoIn ? { hevcToH264Bytes: videoOut / videoIn } : {}),
        measuredAt: new Date().toISOString(),
      };
    }
    try {
      if (!dry) {
        const { planned: _p, ...summary } = result;
        finishRun(catalog, runId, "convert", result.stoppedEarly ? "interrupted" : result.failed.length ? "failures" : "ok", {
          ...summary,
          skipped: result.skipped.length,
          failed: result.failed.length,
          warnings: result.warnings.length,
        });
      }
      db.exec("DROP TABLE IF EXISTS temp.sel");
    } catch {
      // a full disk can refuse even this; the journal already holds every finished job
    }
  }
  return result;
}
