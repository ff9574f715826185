import { existsSync } from "node:fs";
import {
  completenessRows,
  EXPORT_CSV_REASON,
  insideWorkspace,
  listProblemsAndUnreadable,
  livePhotoMembers,
  staleJobs,
  type Catalog,
  type CompletenessItemRow,
  type CompletenessRow,
} from "@archive/core";
import type { PathReason } from "./evidence.js";
import { newCheck, record, type CheckResult } from "./report.js";

/** An item's archived outputs, for metadata and Live Photo checks. */
export interface ItemOutcome {
  itemId: number;
  /** "done" with outputs present, "pending" (no job yet, or its current content in no output), or why not. */
  state: "done" | "pending" | "skipped" | "failed" | "duplicate" | "broken";
}

/** How completeness runs. */
export interface CompletenessOptions {
  workspace: string;
  catalog: Catalog;
  /** Items not converted yet, and unresolved unreadable items and walk problems, are failures. */
  complete: boolean;
  /** Unreadable items and walk problems the user accepted (`--accept-unreadable`) pass `complete`. */
  acceptUnreadable?: boolean;
  manifest: ReadonlyMap<string, string>;
}

/** What completeness found. */
export interface CompletenessResult {
  check: CheckResult;
  outcomes: Map<number, ItemOutcome>;
  /** Items whose current content is in no output yet: listed; failures with `complete`. */
  pending: string[];
  /** Unreadable items and walk problems nobody accepted (named; failures with `complete`). */
  unresolved: PathReason[];
  /** Those accepted (before, or now with --accept-unreadable). */
  accepted: PathReason[];
}

/** The extra output a job records in `params` JSON: `original`, the byte-exact original kept with --keep-originals. */
function extraOutputs(params: string | null): string[] {
  if (!params) return [];
  try {
    const p = JSON.parse(params) as Record<string, unknown>;
    const v = p.original ?? p.originalRel ?? p.original_rel;
    return typeof v === "string" ? [v] : [];
  } catch {
    return [];
  }
}

/** Why an output is not there (undefined when it is). */
function missingOutput(workspace: string, rel: string): string | undefined {
  let abs: string;
  try {
    abs = insideWorkspace(workspace, rel);
  } catch {
    return `the job's output path ${JSON.stringify(rel)} is outside the workspace`;
  }
  return existsSync(abs) ? undefined : `output ${rel} is missing`;
}

/** Per-run state the item judgements share. */
interface Judge {
  o: CompletenessOptions;
  check: CheckResult;
  pending: string[];
  /** item id -> why its finished job no longer holds its current content (the one rule in catalog/duplicates.ts). */
  stale: Map<number, string>;
  /** "root/path" of unreadable items that are unresolved and not accepted now. */
  unresolvedItems: Set<string>;
}

/**
 * An item scan could not read. Accepted: accounted for (passes, listed with `accounted`).
 * Unresolved: never a pass (QA: "15/15 passed" while one was open); a failure with `complete`,
 * else left to the unresolved list the caller prints.
 */
function judgeUnreadable(j: Judge, r: CompletenessRow, label: string, accounted: string): void {
  if (j.unresolvedItems.has(`${r.root}/${r.relPath}`)) {
    if (j.o.complete) record(j.check, label, unresolvedReason(r.error!));
    return;
  }
  record(j.check, label);
  j.check.skipped.push({ path: label, reason: accounted });
}

/** An item with no finished job: unreadable at scan (accounted, or unresolved), or not converted yet. */
function judgeNoJob(j: Judge, r: CompletenessRow, label: string, why: string): ItemOutcome["state"] {
  if (r.error) {
    judgeUnreadable(j, r, label, `unreadable at scan, not archived: ${r.error}`);
    return "skipped";
  }
  j.pending.push(label);
  if (j.o.complete) record(j.check, label, why);
  return "pending";
}

/** A failed or skipped job: accounted for when the source is damaged or a reason is recorded. */
function judgeNotDone(j: Judge, r: CompletenessRow, label: string): ItemOutcome["state"] {
  if (r.status === "failed") {
    if (!r.error) {
      record(j.check, label, `conversion failed: ${r.reason ?? "no reason recorded"}`);
      return "failed";
    }
    // the source itself is damaged (scan said so): accounted for, listed, not an archive failure
    judgeUnreadable(j, r, label, `source unreadable, not archived: ${r.error}${r.reason && r.reason !== r.error ? ` (convert: ${r.reason})` : ""}`);
    return "failed";
  }
  if (!r.reason) {
    record(j.check, label, "skipped without a recorded reason");
    return "skipped";
  }
  record(j.check, label);
  j.check.skipped.push({ path: label, reason: `skipped: ${r.reason}` });
  return "skipped";
}

/** A job recorded as a duplicate: the item it names must be archived, its output present. */
function judgeDuplicate(j: Judge, r: CompletenessRow, label: string): ItemOutcome["state"] {
  const problem =
    r.duplicateOf === null
      ? "marked duplicate without naming the archived item"
      : !r.origKnown
        ? `duplicate of item ${r.duplicateOf}, which is not in the catalog`
        : r.origStatus !== "done" || !r.origOutputRel
          ? `duplicate of ${r.origRelPath}, which is not archived`
          : missingOutput(j.o.workspace, r.origOutputRel);
  record(j.check, label, problem);
  return "duplicate";
}

/** A finished job: its outputs exist, are in the manifest, and hold what convert wrote. */
function judgeDone(j: Judge, r: CompletenessRow, label: string): ItemOutcome["state"] {
  const outs = [...(r.outputRel ? [r.outputRel] : []), ...extraOutputs(r.params)];
  if (!outs.length) {
    record(j.check, label, "job is done but records no output");
    return "broken";
  }
  const problems: string[] = [];
  for (const out of outs) {
    const miss = missingOutput(j.o.workspace, out);
    if (miss) problems.push(miss);
    else if (!j.o.manifest.has(out)) problems.push(`output ${out} is not in the manifest`);
  }
  const inManifest = r.outputRel ? j.o.manifest.get(r.outputRel) : undefined;
  if (r.outputSha256 && inManifest && inManifest !== r.outputSha256) {
    problems.push(`output ${r.outputRel} differs from what convert wrote (journal ${r.outputSha256}, manifest ${inManifest})`);
  }
  record(j.check, label, problems.length ? problems.join("; ") : undefined);
  return problems.length ? "broken" : "done";
}

/** Accounted for with no job, by design: the export's own CSVs, and items deleted in Apple Photos. */
function judgeKeptOut(j: Judge, r: CompletenessItemRow, label: string): ItemOutcome["state"] {
  record(j.check, label);
  const reason = r.exportCsv ? `excluded: ${EXPORT_CSV_REASON}` : "deleted: kept out; archive convert --include-deleted keeps it";
  j.check.skipped.push({ path: label, reason });
  return "skipped";
}

/** One item's state, recorded in the check. */
function judgeItem(j: Judge, r: CompletenessItemRow): ItemOutcome["state"] {
  const label = r.relPath;
  if (r.status === null && (r.exportCsv || (r.deleted && !r.error))) return judgeKeptOut(j, r, label);
  if (r.status === null || r.status === "pending") {
    return judgeNoJob(j, r, label, r.status === null ? "not converted yet (no job in the journal)" : "conversion started but not finished (interrupted run)");
  }
  const stale = j.stale.get(r.id);
  if (stale !== undefined) return judgeNoJob(j, r, label, `its current content is in no output: ${stale}; run \`archive convert\``);
  if (r.status === "failed" || r.status === "skipped") return judgeNotDone(j, r, label);
  if (r.status !== "done") {
    record(j.check, label, `unknown job status "${String(r.status)}"`);
    return "broken";
  }
  return r.action === "duplicate" ? judgeDuplicate(j, r, label) : judgeDone(j, r, label);
}

/** Live Photo pairs: both members archived, or neither yet. */
function checkLivePairs(check: CheckResult, catalog: Catalog, outcomes: Map<number, ItemOutcome>, complete: boolean): void {
  let pairs = 0;
  let waiting = 0;
  const judgeGroup = (key: string, members: { itemId: number; relPath: string }[]) => {
    const known = members.filter((m) => outcomes.has(m.itemId));
    if (known.length < 2) return;
    pairs++;
    const archived = known.filter((m) => ["done", "duplicate"].includes(outcomes.get(m.itemId)!.state));
    if (archived.length === 0 || archived.length === known.length) return;
    const rest = known.filter((m) => !archived.includes(m));
    // a half not converted yet (a video waiting for ffmpeg) is listed as pending: like any pending item, a failure only with `complete`
    if (!complete && rest.every((m) => outcomes.get(m.itemId)!.state === "pending")) {
      waiting++;
      return;
    }
    const missing = rest.map((m) => `${m.relPath} (${outcomes.get(m.itemId)!.state})`);
    check.failed++;
    check.checked++;
    check.failures.push({ path: archived[0]!.relPath, reason: `Live Photo pair ${key} incomplete: ${missing.join(", ")} not archived` });
  };
  let key: string | null = null;
  let members: { itemId: number; relPath: string }[] = [];
  for (const m of livePhotoMembers(catalog)) {
    if (m.key !== key) {
      if (key !== null) judgeGroup(key, members);
      key = m.key;
      members = [];
    }
    members.push({ itemId: m.itemId, relPath: m.relPath });
  }
  if (key !== null) judgeGroup(key, members);
  check.notes.push(`${pairs} Live Photo pairs checked${waiting ? `; ${waiting} wait for a half not converted yet (a failure with --complete)` : ""}`);
}

const unresolvedReason = (reason: string) =>
  `unreadable, not archived, and not accepted: ${reason} (fix it and run \`archive plan\` again, or accept it with --accept-unreadable)`;

/** Unreadable items and walk problems: unresolved ones fail `complete` (walk problems here; items in their row). */
function checkUnresolved(j: Judge, res: CompletenessResult): void {
  const accept = j.o.acceptUnreadable ?? false;
  for (const u of listProblemsAndUnreadable(j.o.catalog)) {
    const entry = { path: `${u.root}/${u.path}`, reason: u.kind === "item" ? u.reason : `${u.kind}: ${u.reason}` };
    if (u.acceptedAt !== null || accept) res.accepted.push(entry);
    else {
      res.unresolved.push(entry);
      if (u.kind === "item") j.unresolvedItems.add(entry.path);
      else if (j.o.complete) record(j.check, entry.path, unresolvedReason(entry.reason));
    }
  }
}

/**
 * Completeness: every source item still in the library has a finished job whose output(s) exist
 * and hold its current content, or a recorded reason (skipped, duplicate of an archived item,
 * unreadable at scan). Failed jobs fail; items whose current content is in no output yet are
 * listed, and fail only with `complete`, as do unreadable items and walk problems nobody accepted.
 * Live Photo pairs must have both members archived.
 */
export function checkCompleteness(o: CompletenessOptions): CompletenessResult {
  const started = Date.now();
  const res: CompletenessResult = { check: newCheck("completeness"), outcomes: new Map(), pending: [], unresolved: [], accepted: [] };
  const stale = new Map<number, string>();
  for (const s of staleJobs(o.catalog)) stale.set(s.itemId, s.reason);
  const j: Judge = { o, check: res.check, pending: res.pending, stale, unresolvedItems: new Set() };
  checkUnresolved(j, res);
  for (const r of completenessRows(o.catalog)) res.outcomes.set(r.id, { itemId: r.id, state: judgeItem(j, r) });
  checkLivePairs(res.check, o.catalog, res.outcomes, o.complete);
  if (res.pending.length) {
    res.check.notes.push(
      `${res.pending.length} items not converted yet${o.complete ? " (fail: --complete)" : " (listed, not a failure; use --complete to require them)"}`,
    );
  }
  if (res.unresolved.length) res.check.notes.push(`${res.unresolved.length} unreadable items or walk problems not accepted${o.complete ? " (fail: --complete; --accept-unreadable accepts them)" : ""}`);
  if (res.accepted.length) res.check.notes.push(`${res.accepted.length} unreadable items or walk problems accepted (not archived)`);
  res.check.durationMs = Date.now() - started;
  return res;
}
