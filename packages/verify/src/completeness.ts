import { existsSync } from "node:fs";
import { insideWorkspace, type Catalog } from "@archive/core";
import { newCheck, record, type CheckResult } from "./report.js";

interface Row {
  id: number;
  rel_path: string;
  root: string;
  kind: string;
  error: string | null;
  action: string | null;
  status: string | null;
  output_rel: string | null;
  output_sha256: string | null;
  params: string | null;
  reason: string | null;
  duplicate_of: number | null;
}

/** An item's archived outputs, for metadata and Live Photo checks. */
export interface ItemOutcome {
  itemId: number;
  source: string;
  /** "done" with outputs present, "pending" (no job yet), or why not. */
  state: "done" | "pending" | "skipped" | "failed" | "duplicate" | "broken";
  outputs: string[];
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

/**
 * Completeness: every source item still in the library has a finished job whose output(s) exist,
 * or a recorded reason (skipped, duplicate of an archived item, unreadable at scan). Failed jobs
 * fail; items with no job yet are "not converted yet" and fail only with `complete`.
 * Live Photo pairs must have both members archived. Outputs are compared with the manifest's
 * SHA-256 when the job recorded one.
 */
export function checkCompleteness(options: {
  workspace: string;
  catalog: Catalog;
  complete: boolean;
  manifest: Map<string, string>;
}): { check: CheckResult; outcomes: Map<number, ItemOutcome>; pending: string[] } {
  const started = Date.now();
  const check = newCheck("completeness");
  const outcomes = new Map<number, ItemOutcome>();
  const pending: string[] = [];
  const rows = options.catalog.db
    .prepare(
      `SELECT i.id, i.rel_path, s.root, i.kind, i.error, j.action, j.status, j.output_rel, j.output_sha256, j.params, j.reason, j.duplicate_of
       FROM items i JOIN sources s ON s.id = i.source_id LEFT JOIN jobs j ON j.item_id = i.id
       WHERE i.missing = 0 ORDER BY i.id`,
    )
    .all() as Row[];
  const byId = new Map(rows.map((r) => [r.id, r]));
  const outputsOf = (r: Row): string[] => [...(r.output_rel ? [r.output_rel] : []), ...extraOutputs(r.params)];
  const missingOutput = (rel: string): string | undefined => {
    let abs: string;
    try {
      abs = insideWorkspace(options.workspace, rel);
    } catch {
      return `the job's output path ${JSON.stringify(rel)} is outside the workspace`;
    }
    return existsSync(abs) ? undefined : `output ${rel} is missing`;
  };
  for (const r of rows) {
    const label = r.rel_path;
    const outcome: ItemOutcome = { itemId: r.id, source: `${r.root}/${r.rel_path}`, state: "done", outputs: [] };
    outcomes.set(r.id, outcome);
    if (r.status === null || r.status === "pending") {
      if (r.error) {
        outcome.state = "skipped";
        record(check, label);
        check.skipped.push({ path: label, reason: `unreadable at scan, not archived: ${r.error}` });
      } else {
        outcome.state = "pending";
        pending.push(label);
        if (options.complete) record(check, label, r.status === null ? "not converted yet (no job in the journal)" : "conversion started but not finished (interrupted run)");
      }
      continue;
    }
    if (r.status === "failed") {
      outcome.state = "failed";
      if (r.error) {
        // the source itself is damaged (scan said so): accounted for, listed, not an archive failure
        record(check, label);
        check.skipped.push({ path: label, reason: `source unreadable, not archived: ${r.error}${r.reason && r.reason !== r.error ? ` (convert: ${r.reason})` : ""}` });
      } else record(check, label, `conversion failed: ${r.reason ?? "no reason recorded"}`);
      continue;
    }
    if (r.status === "skipped") {
      outcome.state = "skipped";
      if (!r.reason) record(check, label, "skipped without a recorded reason");
      else {
        record(check, label);
        check.skipped.push({ path: label, reason: `skipped: ${r.reason}` });
      }
      continue;
    }
    if (r.status !== "done") {
      outcome.state = "broken";
      record(check, label, `unknown job status "${r.status}"`);
      continue;
    }
    if (r.action === "duplicate") {
      outcome.state = "duplicate";
      const orig = r.duplicate_of !== null ? byId.get(r.duplicate_of) : undefined;
      const problem =
        r.duplicate_of === null
          ? "marked duplicate without naming the archived item"
          : !orig
            ? `duplicate of item ${r.duplicate_of}, which is not in the catalog`
            : orig.status !== "done" || !orig.output_rel
              ? `duplicate of ${orig.rel_path}, which is not archived`
              : missingOutput(orig.output_rel);
      record(check, label, problem);
      outcome.outputs = orig?.output_rel ? [orig.output_rel] : [];
      continue;
    }
    const outs = outputsOf(r);
    outcome.outputs = outs;
    if (!outs.length) {
      outcome.state = "broken";
      record(check, label, "job is done but records no output");
      continue;
    }
    const problems: string[] = [];
    for (const o of outs) {
      const miss = missingOutput(o);
      if (miss) problems.push(miss);
      else if (!options.manifest.has(o)) problems.push(`output ${o} is not in the manifest`);
    }
    const inManifest = r.output_rel ? options.manifest.get(r.output_rel) : undefined;
    if (r.output_sha256 && inManifest && inManifest !== r.output_sha256.toLowerCase()) {
      problems.push(`output ${r.output_rel} differs from what convert wrote (journal ${r.output_sha256}, manifest ${inManifest})`);
    }
    if (problems.length) outcome.state = "broken";
    record(check, label, problems.length ? problems.join("; ") : undefined);
  }
  // Live Photo pairs: both members archived, or neither yet.
  const groups = options.catalog.db
    .prepare(`SELECT g.key, gm.item_id FROM groups g JOIN group_members gm ON gm.group_id = g.id WHERE g.type = 'live' ORDER BY g.id`)
    .all() as { key: string; item_id: number }[];
  const members = new Map<string, number[]>();
  for (const g of groups) members.set(g.key, [...(members.get(g.key) ?? []), g.item_id]);
  let pairs = 0;
  for (const [key, ids] of members) {
    const states = ids.map((id) => outcomes.get(id)).filter((o): o is ItemOutcome => o !== undefined);
    if (states.length < 2) continue;
    pairs++;
    const archived = states.filter((s) => s.state === "done" || s.state === "duplicate");
    if (archived.length === 0 || archived.length === states.length) continue;
    const missing = states.filter((s) => !archived.includes(s)).map((s) => `${byId.get(s.itemId)?.rel_path} (${s.state})`);
    check.failed++;
    check.checked++;
    check.failures.push({
      path: byId.get(archived[0]!.itemId)?.rel_path ?? key,
      reason: `Live Photo pair ${key} incomplete: ${missing.join(", ")} not archived`,
    });
  }
  check.notes.push(`${pairs} Live Photo pairs checked`);
  if (pending.length) {
    check.notes.push(
      `${pending.length} items not converted yet${options.complete ? " (fail: --complete)" : " (listed, not a failure; use --complete to require them)"}`,
    );
  }
  check.durationMs = Date.now() - started;
  return { check, outcomes, pending };
}
