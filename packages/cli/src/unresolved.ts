// What the library holds that is not archived and nobody has accepted yet (unreadable files,
// unreadable folders, skipped links/FIFOs): it keeps convert, verify and run at exit 1 and from
// saying "ready" until it is fixed and planned again, or accepted with --accept-unreadable.
import kleur from "kleur";
import { acceptUnresolved, countUnresolved, listProblemsAndUnreadable, listUnresolved, type Catalog, type PathReason, type UnresolvedRow } from "@archive/core";
import type { Options } from "./command.js";

/** --accept-unreadable, for verify (and so for run). */
export const ACCEPT_OPTIONS = {
  "accept-unreadable": {
    kind: "boolean",
    help: "accept every unreadable or skipped source entry still unresolved as not archived (recorded with the time; plan and the report show it)",
  },
} as const satisfies Options;

/** The unresolved entries: how many, and the first `limit` by source and path. */
export interface Unresolved {
  total: number;
  list: PathReason[];
}

/** What is unresolved now (the list capped at `limit`; the total is exact). */
export function unresolvedNow(cat: Catalog, limit = 50): Unresolved {
  const list: UnresolvedRow[] = [];
  for (const r of listUnresolved(cat)) {
    if (list.length >= limit) break;
    list.push(r);
  }
  return { total: countUnresolved(cat).unresolved, list };
}

/** Accept everything unresolved; returns what was accepted now (capped at `limit` listed). */
export function acceptAll(cat: Catalog, limit = 1000): Unresolved {
  const before = unresolvedNow(cat, limit);
  if (before.total) acceptUnresolved(cat, "all");
  return before;
}

/** The text lines naming unresolved entries and the two ways out. */
export function unresolvedLines(u: Unresolved): string[] {
  if (!u.total) return [];
  const lines = [kleur.bold(kleur.red(`Unresolved: ${u.total} source ${u.total === 1 ? "entry is" : "entries are"} not archived and not accepted`))];
  for (const r of u.list) lines.push(`  ${JSON.stringify(r.path)}: ${r.reason}`);
  if (u.total > u.list.length) lines.push(`  ... and ${u.total - u.list.length} more (archive plan --json lists all)`);
  lines.push("Fix them and run archive plan again, or accept them as lost: archive verify --accept-unreadable");
  return lines;
}

/** The text lines naming what --accept-unreadable just accepted. */
export function acceptedLines(u: Unresolved): string[] {
  if (!u.total) return [];
  const lines = [kleur.yellow(`Accepted as not archived (--accept-unreadable, recorded): ${u.total}`)];
  for (const r of u.list.slice(0, 50)) lines.push(`  ${JSON.stringify(r.path)}: ${r.reason}`);
  if (u.total > 50) lines.push(`  ... and ${u.total - 50} more`);
  return lines;
}

/** Source paths (relative to their source) of unreadable items the user accepted: not "something to look at" any more. */
export function acceptedItemPaths(cat: Catalog): Set<string> {
  const out = new Set<string>();
  for (const r of listProblemsAndUnreadable(cat)) if (r.acceptedAt !== null && r.kind === "item") out.add(r.path);
  return out;
}
