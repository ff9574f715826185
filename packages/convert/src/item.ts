import { posix, basename } from "node:path";
import {
  HeifDecodeError,
  insideWorkspace,
  isDiskFull,
  isFatalWriteError,
  jobOf,
  markItemUnreadable,
  reasonOf,
  writeError,
  type ConvertItemRow,
  type JobRow,
} from "@archive/core";
import { statfs } from "node:fs/promises";
import type { RunContext } from "./context.js";
import { chooseName, decide, outputExtension } from "./decide.js";
import { outputDir, splitName } from "./layout.js";
import { checkDone, resolveDuplicate } from "./resolve.js";
import type { Action, ChangedSource, PlannedItem } from "./types.js";
import { writeOutput, type Written } from "./write.js";

/** Under 1 MiB free: a failure there is the disk's, not the file's (tools word it in many ways). */
async function nearlyFull(root: string): Promise<boolean> {
  try {
    const s = await statfs(root);
    return Number(s.bavail) * Number(s.bsize) < 1024 * 1024;
  } catch {
    return false;
  }
}

function plan(ctx: RunContext, p: PlannedItem): void {
  if (ctx.dry && ctx.result.planned.length < 1000) ctx.result.planned.push(p);
}

/** The same failure as the journal already holds for this very source: still open, not new. */
function sameFailure(prev: JobRow | undefined, it: ConvertItemRow, reason: string): boolean {
  return prev?.status === "failed" && prev.reason === reason && prev.source_size === it.size && prev.source_mtime_ms === it.mtime_ms;
}

/** Record a failure: new in this run, or still unresolved from an earlier one. */
function fail(ctx: RunContext, it: ConvertItemRow, prev: JobRow | undefined, reason: string, action: Action = "convert"): void {
  (sameFailure(prev, it, reason) ? ctx.result.unresolved : ctx.result.failed).push({ path: it.rel_path, reason });
  ctx.journal.failed(it, reason, action);
}

const prefixOf = (ctx: RunContext, it: ConvertItemRow) => (ctx.multiSource ? basename(it.root) || `source-${it.source_id}` : "");

/** The stem of a journalled output (a Live Photo's video reuses its still's). */
const stemOfOutput = (rel: string | null, fallback: string) => (rel ? splitName(posix.basename(rel))[0] : fallback);

/**
 * Handle one item: decide, skip what is done, resolve duplicates, write. Returns the stem its
 * output got (a Live Photo's video takes its still's), or undefined when nothing was archived.
 */
export async function handleItem(ctx: RunContext, it: ConvertItemRow, stemHint?: string): Promise<string | undefined> {
  const decision = decide(it, ctx.link);
  const [srcStem, srcExt] = splitName(it.name);
  const stem = stemHint ?? srcStem;
  let prev = jobOf(ctx.catalog, it.id);
  if (decision === "fail") {
    plan(ctx, { path: it.rel_path, action: "fail", reason: it.error! });
    fail(ctx, it, prev, it.error!);
    return undefined;
  }
  if (decision === "skip") {
    const reason = "not a photo or video (kept out of the archive)";
    ctx.result.skipped.push({ path: it.rel_path, reason });
    ctx.journal.skipped(it, reason);
    return undefined;
  }
  const state = await checkDone(ctx, it, prev);
  if (state !== "todo") {
    if (state === "done") ctx.result.alreadyDone++;
    return stemOfOutput(prev?.output_rel ?? null, stem);
  }
  // never replace an archived output unasked: a changed source's old output is kept (--redo replaces)
  const changed = keepChanged(ctx, it, prev, decision);
  if (changed) prev = undefined;
  const keeper = await resolveDuplicate(ctx, it);
  if (keeper !== null) {
    ctx.result.duplicates++;
    plan(ctx, { path: it.rel_path, action: "duplicate", reason: `same content as item ${keeper}` });
    ctx.journal.duplicate(it, keeper);
    return stem;
  }
  if (decision === "convert" && it.kind === "video" && ctx.videoMissing) {
    // photos go on; the video waits for the tool, and the summary says so
    ctx.result.pending.push({ path: it.rel_path, reason: ctx.videoMissing });
    plan(ctx, { path: it.rel_path, action: "pending", reason: ctx.videoMissing });
    return undefined;
  }
  // claim the content before the next await: an identical item in flight now sees this pending job
  ctx.journal.claim(it, decision, prev?.output_rel ?? null);
  return place(ctx, it, decision, prev, { stem, srcExt, changed });
}

/** True when a finished job with an output of its own was journalled for other content than the source has now. */
function sourceChanged(prev: JobRow | undefined, it: ConvertItemRow): prev is JobRow & { output_rel: string } {
  if (!prev || prev.status !== "done" || prev.action === "duplicate" || prev.output_rel === null) return false;
  if (prev.source_size === null && prev.source_mtime_ms === null) return false; // taken at its word (duplicates-sql.ts)
  return prev.source_size !== it.size || prev.source_mtime_ms !== it.mtime_ms;
}

/**
 * The source changed after it was archived (edited, or rotted in the library): keep the old
 * output and its journal line as an older version, named in the result (returned: `place` fills in the new output).
 */
function keepChanged(ctx: RunContext, it: ConvertItemRow, prev: JobRow | undefined, action: Written["action"]): ChangedSource | null {
  if (ctx.redo.has(it.id) || !sourceChanged(prev, it)) return null;
  const reason = `the source changed after it was archived (was ${prev.source_size} bytes, modified ${new Date(prev.source_mtime_ms ?? 0).toISOString()})`;
  ctx.journal.keepAndClaim(it, action, reason);
  const entry: ChangedSource = { path: it.rel_path, kept: prev.output_rel, output: null };
  ctx.result.changed.push(entry);
  return entry;
}

/** Name the output, then write it (or, in a dry run, say what would be written). */
async function place(ctx: RunContext, it: ConvertItemRow, action: Written["action"], prev: JobRow | undefined, n: { stem: string; srcExt: string; changed: ChangedSource | null }): Promise<string | undefined> {
  const { ext, mismatch } = outputExtension(it, action, n.srcExt);
  const prefix = prefixOf(ctx, it);
  const dir = outputDir("converted", ctx.layout, it, prefix);
  // --redo re-creates the very file named, whatever the layout or names are now
  const redoOf = ctx.redo.get(it.id)?.output_rel;
  const outRel = redoOf ?? (await chooseName(ctx.catalog, ctx.root, it, { dir, stem: n.stem, ext, previous: prev?.output_rel ?? null }));
  const outStem = splitName(posix.basename(outRel))[0];
  if (mismatch) ctx.result.renamed.push({ path: it.rel_path, reason: mismatch, output: outRel });
  if (ctx.dry) {
    plan(ctx, { path: it.rel_path, action, output: outRel });
    if (n.changed) n.changed.output = outRel;
    count(ctx, action);
    return outStem;
  }
  ctx.journal.claim(it, action, outRel);
  try {
    const w = await writeOutput(ctx, it, action, { rel: outRel, stem: outStem, srcExt: n.srcExt, prefix });
    record(ctx, it, outRel, w);
    if (n.changed) n.changed.output = outRel;
    return outStem;
  } catch (err) {
    if (isFatalWriteError(err) || ctx.signal?.aborted) throw err;
    // a full destination surfaces as ENOSPC, as SQLITE_FULL, or inside an encoder's message
    if (isDiskFull(err) || (await nearlyFull(ctx.root))) {
      throw writeError(Object.assign(new Error(reasonOf(err)), { code: "ENOSPC" }), insideWorkspace(ctx.root, outRel));
    }
    // damaged image data is the source's own state: unresolved (acceptable) like a file plan could not read
    if (err instanceof HeifDecodeError && err.code === "DAMAGED") markItemUnreadable(ctx.catalog, it.id, reasonOf(err), it.size, it.mtime_ms);
    fail(ctx, it, prev, reasonOf(err), action);
    return undefined;
  }
}

function count(ctx: RunContext, action: Written["action"]): void {
  if (action === "convert") ctx.result.converted++;
  else if (action === "link") ctx.result.linked++;
  else ctx.result.copied++;
}

/** Journal a finished output (what --redo replaced included) and account for it. */
function record(ctx: RunContext, it: ConvertItemRow, outRel: string, w: Written): void {
  const replaced = ctx.redo.get(it.id);
  if (replaced) {
    const entry = { path: it.rel_path, output: replaced.output_rel ?? outRel, replacedSha256: replaced.output_sha256, foundSha256: replaced.foundSha256, replacedAt: replaced.updated_at };
    w.params.replaced = { output: entry.output, sha256: entry.replacedSha256, foundSha256: entry.foundSha256, journalledAt: entry.replacedAt, at: new Date().toISOString() };
    ctx.result.redone.push(entry);
  }
  for (const m of w.warnings) ctx.result.warnings.push({ path: it.rel_path, message: m });
  if (w.originalKept) ctx.result.originalsKept.push({ path: it.rel_path, original: w.originalKept.rel, reason: w.originalKept.reason });
  ctx.journal.done(it, { action: w.action, outputRel: outRel, outputSize: w.size, outputSha256: w.sha256, params: w.params });
  ctx.result.bytesIn += it.size;
  ctx.result.bytesOut += w.size;
  count(ctx, w.action);
  if (w.action !== "convert") return;
  if (it.kind === "photo") ctx.calibration.photo(w.seconds, it.size, w.size);
  else ctx.calibration.video(w.encode?.seconds ?? 0, w.encode?.duration ?? NaN, it.size, w.size);
}
