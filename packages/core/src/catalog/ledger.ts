// Catalog queries: the ledger of `archive plan` and the report (issue 10 item 6). Every item met
// in the library is counted once under its `archive list` status (listing.ts decides), and the
// count of what came in is taken apart, so a status that cannot be decided shows as unaccounted.
import type { Catalog } from "./db.js";
import { orphanRowCount, orphanRows, type OrphanRow } from "./export.js";
import { itemStatuses } from "./listing.js";

/** Items in = archived + duplicates + deleted + unreadable + pending + excluded + unaccounted (0 when all is well). */
export interface Ledger {
  /** Catalogued items (present or gone from the source) plus what the walk met but could not catalog. */
  in: number;
  archived: number;
  duplicates: number;
  deleted: number;
  unreadable: number;
  pending: number;
  excluded: number;
  /** Items in that no status accounts for: must be 0. */
  unaccounted: number;
  /** Apple export CSV rows that name no file (the first `limit`), and how many there are. */
  rowsWithoutFile: OrphanRow[];
  rowsWithoutFileCount: number;
}

/** Items in, counted apart from the statuses (SQL), so an item the status pass misses is unaccounted. */
function itemsIn(cat: Catalog): number {
  const r = cat
    .stmt(`SELECT (SELECT count(*) FROM items) + (SELECT count(*) FROM problems) AS n`)
    .get() as { n: number };
  return r.n;
}

/** The ledger: one streamed pass over the statuses (memory bounded), and the CSV rows without a file. */
export function ledger(cat: Catalog, limit = 1000): Ledger {
  const n = { archived: 0, duplicates: 0, deleted: 0, unreadable: 0, pending: 0, excluded: 0 };
  const key = { archived: "archived", duplicate: "duplicates", deleted: "deleted", unreadable: "unreadable", pending: "pending", excluded: "excluded" } as const;
  for (const status of itemStatuses(cat)) {
    const k = key[status as keyof typeof key] as keyof typeof n | undefined;
    if (k) n[k]++; // anything else ("unaccounted") stays out of the sum
  }
  const total = itemsIn(cat);
  const sum = n.archived + n.duplicates + n.deleted + n.unreadable + n.pending + n.excluded;
  return { in: total, ...n, unaccounted: total - sum, rowsWithoutFile: orphanRows(cat, limit), rowsWithoutFileCount: orphanRowCount(cat) };
}

/** "Ledger: 120 in = 100 archived + ... + 2 excluded; 0 unaccounted" (plan and report print it). */
export function ledgerLine(l: Ledger): string {
  return (
    `Ledger: ${l.in} in = ${l.archived} archived + ${l.duplicates} duplicates + ${l.deleted} deleted + ` +
    `${l.unreadable} unreadable + ${l.pending} pending + ${l.excluded} excluded; ${l.unaccounted} unaccounted`
  );
}
