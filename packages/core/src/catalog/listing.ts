// Catalog queries: `archive list`, one entry per source item ("where did my photo go?").
// Owner: the hand-off helper (issue 11). favorite/hidden/deleted and the collections (albums,
// memories, shared albums) are the export reader's columns (issue 10, catalog/export.ts).
import type { Catalog } from "./db.js";
import { archivedCopyOf, currentArchiveOf } from "./duplicates.js";
import { EXPORT_CSV_REASON, exportCsvSql } from "./export.js";
import { WORKSPACE_PLACE } from "./handoff.js";
import { listProblemsAndUnreadable } from "./problems.js";
import type { UnresolvedRow } from "./schema.js";

/**
 * What became of a source item, every value `archive list` can print (and `list --status`
 * accepts), in the ledger's order. "unaccounted": the catalog holds a state no rule decides (a
 * job status the archive does not know); it is listed and counted as such, never folded into another.
 */
export const LIST_STATUSES = ["archived", "duplicate", "deleted", "unreadable", "pending", "excluded", "unaccounted"] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];

/** One source item as `archive list --json` prints it. */
export interface ListEntry {
  /** The source file: its root followed by its path inside the source. */
  source: string;
  status: ListStatus;
  /** The archived file holding its bytes, workspace-relative (null when none). */
  output: string | null;
  /** For a duplicate: the source of the item whose output holds the same bytes. */
  duplicateOf: string | null;
  /** ISO 8601 local time with its UTC offset (no offset when the file does not say). */
  captureTime: string | null;
  captureSource: string | null;
  /** From Apple's Photo Details CSV; null for a file no CSV row names (a plain folder). */
  favorite: boolean | null;
  hidden: boolean | null;
  /** Albums, memories and shared albums the item is in. */
  albums: string[];
  sha256: string | null;
  reason: string | null;
  /** When the output was last re-read and matched the manifest (verify, --sample). */
  verifiedAt: string | null;
  /** Older outputs kept for this item: its content as archived before the source changed (oldest first). */
  kept: string[];
}

/** Filters of `archive list`. */
export interface ListFilter {
  status?: ListStatus;
  year?: number;
  album?: string;
}

interface ItemListRow {
  id: number;
  root: string;
  rel_path: string;
  capture_local: string | null;
  capture_offset: string | null;
  capture_source: string | null;
  sha256: string | null;
  error: string | null;
  accepted_at: string | null;
  missing: number;
  favorite: number;
  hidden: number;
  deleted: number;
  csv_named: number;
  export_csv: number;
  job_status: string | null;
  job_action: string | null;
  job_reason: string | null;
  albums: string | null;
  kept: string | null;
}

const PAGE = 500;

/** Names of the albums (album CSVs) and collections (albums, memories, shared albums) of item `i`. */
const COLLECTION_NAMES = `SELECT a.name FROM album_items ai JOIN albums a ON a.id = ai.album_id WHERE ai.item_id = i.id
  UNION SELECT c.name FROM collection_items ci JOIN collections c ON c.id = ci.collection_id WHERE ci.item_id = i.id`;

/**
 * Every source item with its outcome, streamed in pages (memory stays bounded), then every entry
 * the walk skipped or could not read (folder links, FIFOs, unreadable folders: problems.ts), so
 * the list answers "where did it go, or why not" for everything met in the library.
 */
export function* listItems(cat: Catalog, filter: ListFilter = {}): IterableIterator<ListEntry> {
  let after = 0;
  for (;;) {
    const rows = cat
      .stmt(
        `SELECT i.id, s.root, i.rel_path, i.capture_local, i.capture_offset, i.capture_source, i.sha256, i.error, i.accepted_at, i.missing,
           i.favorite, i.hidden, i.deleted, i.csv_named, ${exportCsvSql("i")} AS export_csv,
           j.status AS job_status, j.action AS job_action, j.reason AS job_reason,
           (SELECT json_group_array(name) FROM (${COLLECTION_NAMES})) AS albums,
           (SELECT json_group_array(output_rel) FROM (SELECT output_rel FROM kept_outputs k WHERE k.item_id = i.id ORDER BY k.id)) AS kept
         FROM items i JOIN sources s ON s.id = i.source_id LEFT JOIN jobs j ON j.item_id = i.id
         WHERE i.id > ? AND (? IS NULL OR i.capture_year = ?)
           AND (? IS NULL OR ? IN (${COLLECTION_NAMES}))
         ORDER BY i.id LIMIT ?`,
      )
      .all(after, filter.year ?? null, filter.year ?? null, filter.album ?? null, filter.album ?? null, PAGE) as ItemListRow[];
    if (!rows.length) break;
    after = rows[rows.length - 1]!.id;
    for (const r of rows) {
      const e = toEntry(cat, r);
      if (!filter.status || e.status === filter.status) yield e;
    }
  }
  // what the walk met but could not catalog has no capture year and no album: only unfiltered
  if (filter.year !== undefined || filter.album !== undefined) return;
  for (const p of listProblemsAndUnreadable(cat)) {
    if (p.kind === "item") continue; // an unreadable item is listed above, as an item
    const e = problemEntry(p);
    if (!filter.status || e.status === filter.status) yield e;
  }
}

/** " (accepted as not archived <time>)" for what the user accepted with --accept-unreadable. */
const acceptedNote = (at: string | null) => (at ? ` (accepted as not archived ${at})` : "");

/** A walk problem (catalog/problems.ts owns what they are) as a list entry: never archived, with why. */
function problemEntry(p: UnresolvedRow): ListEntry {
  const unreadable = p.kind === "unreadable-folder" || p.kind === "unreadable" || p.kind === "broken-link";
  const what = p.kind === "unreadable-folder" ? "folder: " : "";
  const accepted = acceptedNote(p.acceptedAt);
  return {
    source: sourceOf(p.root, p.path),
    status: unreadable ? "unreadable" : "excluded",
    output: null, duplicateOf: null, captureTime: null, captureSource: null, favorite: null, hidden: null,
    albums: [], sha256: null, reason: `${what}${p.reason}${accepted}`, verifiedAt: null, kept: [],
  };
}

const sourceOf = (root: string, rel: string) => (root.endsWith("/") ? root + rel : `${root}/${rel}`);

function toEntry(cat: Catalog, r: ItemListRow): ListEntry {
  const out = decide(cat, r);
  return {
    source: sourceOf(r.root, r.rel_path),
    status: out.status,
    output: out.output,
    duplicateOf: out.duplicateOf,
    captureTime: r.capture_local ? r.capture_local + (r.capture_offset ?? "") : null,
    captureSource: r.capture_source,
    favorite: r.csv_named ? r.favorite === 1 : null,
    hidden: r.csv_named ? r.hidden === 1 : null,
    albums: r.albums ? (JSON.parse(r.albums) as string[]).sort() : [],
    sha256: r.sha256,
    reason: out.reason,
    verifiedAt: out.output ? verifiedAt(cat, out.output) : null,
    kept: r.kept ? (JSON.parse(r.kept) as string[]) : [],
  };
}

function verifiedAt(cat: Catalog, rel: string): string | null {
  const v = cat.stmt("SELECT verified_at FROM fixity_reads WHERE place = ? AND rel_path = ?").get(WORKSPACE_PLACE, rel) as
    | { verified_at: string }
    | undefined;
  return v?.verified_at ?? null;
}

type Outcome = Pick<ListEntry, "status" | "output" | "duplicateOf" | "reason">;
/** The columns `decide` reads. */
type DecideRow = Pick<ItemListRow, "id" | "error" | "accepted_at" | "missing" | "deleted" | "export_csv" | "job_status" | "job_reason">;

/** Job statuses `decide` has a rule for (schema.ts JobStatus, and no job). */
const KNOWN_JOB_STATUS = new Set<string | null>([null, "pending", "done", "failed", "skipped"]);

/**
 * The status of every source item and walk entry, in one paged pass over a lean query (the same
 * decisions as `listItems`, without its albums and outputs): what the ledger counts.
 */
export function* itemStatuses(cat: Catalog): IterableIterator<ListStatus> {
  let after = 0;
  for (;;) {
    const rows = cat
      .stmt(
        `SELECT i.id, i.error, i.accepted_at, i.missing, i.deleted, ${exportCsvSql("i")} AS export_csv, j.status AS job_status, j.reason AS job_reason
         FROM items i LEFT JOIN jobs j ON j.item_id = i.id WHERE i.id > ? ORDER BY i.id LIMIT ?`,
      )
      .all(after, PAGE) as DecideRow[];
    if (!rows.length) break;
    after = rows[rows.length - 1]!.id;
    for (const r of rows) yield decide(cat, r).status;
  }
  for (const p of listProblemsAndUnreadable(cat)) if (p.kind !== "item") yield problemEntry(p).status;
}

function decide(cat: Catalog, r: DecideRow): Outcome {
  const none = { output: null, duplicateOf: null };
  if (!KNOWN_JOB_STATUS.has(r.job_status)) return { status: "unaccounted", ...none, reason: `job status "${r.job_status}" is not one the archive knows` };
  if (r.export_csv && r.job_status === null) return { status: "excluded", ...none, reason: EXPORT_CSV_REASON };
  if (r.error) return { status: "unreadable", ...none, reason: r.error + acceptedNote(r.accepted_at) };
  if (r.missing) return { status: "excluded", ...none, reason: "no longer in the source" };
  if (r.deleted && r.job_status !== "done") return { status: "deleted", ...none, reason: "deleted in Apple Photos (Recently Deleted): not converted without --include-deleted" };
  if (r.job_status === "skipped") return { status: "excluded", ...none, reason: r.job_reason ?? "skipped" };
  if (r.job_status === "failed") return { status: "pending", ...none, reason: `conversion failed: ${r.job_reason ?? "no reason recorded"}` };
  if (r.job_status === null) {
    // a later export's copy of content already archived: a duplicate now, recorded so at the next convert
    const copy = archivedCopyOf(cat, r.id);
    if (!copy) return { status: "pending", ...none, reason: "not converted yet" };
    return duplicateOutcome(cat, copy.itemId, copy.output, "same bytes as an archived item (recorded at the next convert)");
  }
  const now = currentArchiveOf(cat, r.id);
  if (!now.archived) return { status: "pending", ...none, reason: now.reason };
  if (now.byItem === r.id) return { status: "archived", output: now.output, duplicateOf: null, reason: null };
  return duplicateOutcome(cat, now.byItem, now.output, "same bytes as an archived item");
}

function duplicateOutcome(cat: Catalog, byItem: number, output: string | null, reason: string): Outcome {
  const keeper = cat.stmt("SELECT s.root, i.rel_path FROM items i JOIN sources s ON s.id = i.source_id WHERE i.id = ?").get(byItem) as
    | { root: string; rel_path: string }
    | undefined;
  return { status: "duplicate", output, duplicateOf: keeper ? sourceOf(keeper.root, keeper.rel_path) : null, reason };
}
