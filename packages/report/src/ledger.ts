// The report's accounting section (issue 10 item 6): the same ledger `archive plan` prints, read
// live from the catalog (after convert it shows what is archived now, not what was planned).
import { ledgerLine, type Ledger } from "@archive/core";

const num = (n: number) => n.toLocaleString("en-US");

/** The ledger as a table that adds up, and the Apple CSV rows that name no file. */
export function ledgerSection(l: Ledger | undefined, esc: (s: unknown) => string): string {
  if (!l) return `<p class="muted">No ledger (run <code>archive report</code> again).</p>`;
  const rows: [string, number][] = [
    ["archived", l.archived], ["duplicates (same bytes as an archived item)", l.duplicates], ["deleted in Apple Photos", l.deleted],
    ["unreadable", l.unreadable], ["pending (not converted yet, or failed)", l.pending], ["excluded (sidecars, export CSVs, skipped)", l.excluded],
    ["unaccounted", l.unaccounted],
  ];
  const bad = (label: string, n: number) => (label === "unaccounted" && n ? ' style="color:var(--bad)"' : "");
  const body = rows.map(([label, n]) => `<tr${bad(label, n)}><td>${esc(label)}</td><td class="n">${num(n)}</td></tr>`).join("");
  const table = `<table id="ledger"><tbody><tr><th>items in</th><th class="n">${num(l.in)}</th></tr>${body}</tbody></table>`;
  const line = `<p><b${l.unaccounted ? ' style="color:var(--bad)"' : ""}>${esc(ledgerLine(l))}</b>${l.unaccounted ? ` — <code>archive list</code> shows them as "unaccounted"` : ""}</p>`;
  return line + table + orphans(l, esc);
}

/** The CSV rows naming no file (the first ones, with how many there are). */
function orphans(l: Ledger, esc: (s: unknown) => string): string {
  if (!l.rowsWithoutFileCount) return `<p class="muted">Every row of the Apple export's CSVs names a file (or there is no export).</p>`;
  const items = l.rowsWithoutFile.map((o) => `<li><code>${esc(o.csv)}</code> line ${o.line}: ${esc(o.name)}${o.detail ? ` <span class="muted">(${esc(o.detail)})</span>` : ""}</li>`);
  const more = l.rowsWithoutFileCount > l.rowsWithoutFile.length ? `<li class="muted">… and ${num(l.rowsWithoutFileCount - l.rowsWithoutFile.length)} more</li>` : "";
  return `<h3>CSV rows naming no file: ${num(l.rowsWithoutFileCount)}</h3><ul class="fail" id="rows-without-file">${items.join("")}${more}</ul>`;
}
