import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addOrphanRow, ledger, openCatalog, openExportPart, replaceWalkProblems, sourceId, type Catalog } from "@archive/core";
import { esc } from "./html.js";
import { ledgerSection } from "./ledger.js";

let dir = "";
let cat: Catalog;

/** An item (and its job) in a real catalog: what scan and convert would have recorded. */
function item(rel: string, extra: { sha256?: string; error?: string; deleted?: number } = {}, job?: [string, string]): void {
  const id = Number(
    cat.db
      .prepare(
        `INSERT INTO items (source_id, rel_path, name, dir, base_stem, variant, size, mtime_ms, format, kind, scanned_at, sha256, error, deleted)
         VALUES (?, ?, ?, '', ?, 'original', 10, 1, 'jpeg', 'photo', 'now', ?, ?, ?)`,
      )
      .run(sourceId(cat, "/lib"), rel, rel, rel, extra.sha256 ?? null, extra.error ?? null, extra.deleted ?? 0).lastInsertRowid,
  );
  if (job)
    cat.db
      .prepare("INSERT INTO jobs (item_id, action, status, output_rel, source_size, source_mtime_ms, updated_at) VALUES (?, ?, ?, ?, 10, 1, 'now')")
      .run(id, job[0], job[1], job[1] === "done" && job[0] !== "duplicate" ? `converted/${rel}` : null);
}

/** The table's numbers by label (what a reader of the page adds up). */
function tableNumbers(html: string): Map<string, number> {
  const table = /<table id="ledger">([\s\S]*?)<\/table>/.exec(html)![1]!;
  const rows = [...table.matchAll(/<t[dh]>([^<]*)<\/t[dh]><t[dh] class="n">([\d,]+)<\/t[dh]>/g)];
  return new Map(rows.map((m) => [m[1]!, Number(m[2]!.replace(/,/g, ""))]));
}

describe("report: the Accounting section", () => {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "archive-report-ledger-"));
    cat = openCatalog(join(dir, "catalog.db"));
    const part = openExportPart(cat, sourceId(cat, "/lib"), "", "iCloud Photos");
    addOrphanRow(cat, part, "Albums/<Trip>.csv", 3, "IMG_<9>.JPG", "album <Trip>");
    item("a.jpg", { sha256: "aa" }, ["copy", "done"]);
    item("b.jpg", { sha256: "aa" }, ["duplicate", "done"]);
    item("c.jpg", { deleted: 1 });
    item("bad.heic", { error: "truncated HEIC" });
    item("new.jpg");
    item("s.aae", {}, ["copy", "skipped"]);
    replaceWalkProblems(cat, sourceId(cat, "/lib"), 1, [{ path: "pipe", kind: "special", reason: "a FIFO" }]);
  });
  afterEach(() => {
    cat.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows items in and every status, adding up, with 0 unaccounted, and the CSV rows naming no file", () => {
    const html = ledgerSection(ledger(cat), esc);
    const n = tableNumbers(html);
    expect(n.get("items in")).toBe(7);
    expect(n.get("unaccounted")).toBe(0);
    expect([...n].filter(([k]) => k !== "items in").reduce((s, [, v]) => s + v, 0)).toBe(7);
    expect(n.get("archived")).toBe(1);
    expect(n.get("excluded (sidecars, export CSVs, skipped)")).toBe(2); // the sidecar and the FIFO
    expect(html).toContain("Ledger: 7 in = 1 archived + 1 duplicates + 1 deleted + 1 unreadable + 1 pending + 2 excluded; 0 unaccounted");
    expect(html).toContain("CSV rows naming no file: 1");
    expect(html).toContain("<code>Albums/&lt;Trip&gt;.csv</code> line 3: IMG_&lt;9&gt;.JPG");
    expect(html).not.toContain("<Trip>");
  });

  it("an item of no known status shows as unaccounted, in red", () => {
    item("odd.jpg", {}, ["copy", "half-done"]);
    const html = ledgerSection(ledger(cat), esc);
    expect(tableNumbers(html).get("items in")).toBe(8);
    expect(tableNumbers(html).get("unaccounted")).toBe(1);
    expect(html).toMatch(/<b style="color:var\(--bad\)">Ledger: 8 in = .*; 1 unaccounted<\/b>/);
  });
});
