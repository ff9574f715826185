import { stat } from "node:fs/promises";
import {
  archivedOutputFor,
  currentArchiveOf,
  currentDuplicateOf,
  insideWorkspace,
  isSelected,
  recordContentHash,
  type ConvertItemRow,
  type JobRow,
} from "@archive/core";
import { sourceOf, type RunContext } from "./context.js";

/** Where an item stands before any work: nothing to do, a damaged output, or work to do. */
export type DoneState = "done" | "fixity" | "todo";

/**
 * Is the item's current content already archived, as the journal says? An output that is in
 * place but whose bytes no longer match the journal's SHA-256 is a fixity failure (reported,
 * never re-hashed into the manifest, never silently replaced: `--redo` does that explicitly).
 */
export async function checkDone(ctx: RunContext, it: ConvertItemRow, prev: JobRow | undefined): Promise<DoneState> {
  if (ctx.redo.has(it.id)) return "todo";
  if (!prev || prev.status !== "done" || prev.source_size !== it.size || prev.source_mtime_ms !== it.mtime_ms) return "todo";
  // a duplicate is done only while another current output still holds its bytes
  if (prev.action === "duplicate") return currentArchiveOf(ctx.catalog, it.id).archived ? "done" : "todo";
  if (prev.output_rel === null) return "done";
  const problem = await outputProblem(ctx, prev.output_rel, prev);
  if (problem === "missing") return "todo";
  if (problem) {
    ctx.result.fixity.push({ path: prev.output_rel, reason: problem });
    return "fixity";
  }
  return "done";
}

/** "missing", a fixity failure's reason, or null when the output holds what the journal recorded. */
async function outputProblem(ctx: RunContext, rel: string, job: JobRow): Promise<string | null> {
  const abs = insideWorkspace(ctx.root, rel);
  const st = await stat(abs).catch(() => null);
  if (!st) return "missing";
  const expected = job.output_sha256?.toLowerCase() ?? null;
  if (expected === null) return null; // journalled before hashes were kept: nothing to compare
  const redo = `run \`archive convert --redo ${rel}\` to re-create it from the source`;
  if (job.output_size !== null && st.size !== job.output_size) {
    return `changed since convert wrote it: ${st.size} bytes, the journal recorded ${job.output_size}; ${redo}`;
  }
  const id = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
  const cached = ctx.cache.lookup(rel, id);
  // unchanged size, mtime and inode since it was hashed: the cache answers; otherwise read it again
  const now = cached ?? (await ctx.hashes.hash(abs)).sha256;
  if (now.toLowerCase() !== expected) return `changed since convert wrote it: SHA-256 ${now}, the journal recorded ${expected}; ${redo}`;
  if (!cached) ctx.cache.store(rel, id, now);
  return null;
}

/** The item's SHA-256, hashed (and recorded while the file still matches the catalog) if unknown. */
async function sourceSha(ctx: RunContext, it: ConvertItemRow): Promise<string | null> {
  if (it.sha256 || ctx.dry) return it.sha256;
  try {
    const r = await ctx.hashes.hash(sourceOf(it));
    recordContentHash(ctx.catalog, it.id, r.sha256, it.size, it.mtime_ms);
    return r.sha256;
  } catch {
    return null; // unreadable now: the write step reports it
  }
}

/**
 * One copy of identical content: the item whose output holds (or will hold) this item's bytes,
 * or null. Dedupe's keeper while its group is current and the keeper is archived or selected;
 * else any item whose current output holds the bytes, or that this run has claimed them for.
 * Must be followed by the claim without an await in between (see convert.ts).
 */
export async function resolveDuplicate(ctx: RunContext, it: ConvertItemRow): Promise<number | null> {
  if (ctx.redo.has(it.id)) return null; // --redo re-creates this very output
  const sha = await sourceSha(ctx, it);
  const dup = currentDuplicateOf(ctx.catalog, it.id);
  if (dup && (dup.keeperOutput !== null || isSelected(ctx.catalog, dup.keeperId))) return dup.keeperId;
  if (!sha) return null;
  return archivedOutputFor(ctx.catalog, sha, it.size, { exceptItem: it.id, pendingRun: ctx.journal.runId })?.itemId ?? null;
}
