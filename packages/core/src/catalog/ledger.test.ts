import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openCatalog, type Catalog } from "./db.js";
import { addOrphanRow, openExportPart } from "./export.js";
import { ledger, ledgerLine } from "./ledger.js";
import { listItems } from "./listing.js";
import { replaceWalkProblems } from "./problems.js";
import { sourceId } from "./sources.js";

let dir = "";
let cat: Catalog;

function item(rel: string, extra: Record<string, unknown> = {}): number {
  const cols: Record<string, unknown> = {
    source_id: sourceId(cat, "/lib"), rel_path: rel, name: rel, dir: "", base_stem: rel, variant: "original",
    size: 10, mtime_ms: 1, format: "jpeg", kind: "photo", scanned_at: "2024-01-01T00:00:00Z", ...extra,
  };
  const keys = Object.keys(cols);
  return Number(cat.db.prepare(`INSERT INTO items (${keys.join(", ")}) VALUES (${keys.map(() => "?").join(", ")})`).run(...Object.values(cols)).lastInsertRowid);
}

function job(itemId: number, action: string, status: string, output: string | null): void {
  cat.db
    .prepare("INSERT INTO jobs (item_id, action, status, output_rel, source_size, source_mtime_ms, updated_at) VALUES (?, ?, ?, ?, 10, 1, 'x')")
    .run(itemId, action, status, output);
}

/** Every status once or more, two walk problems and a CSV row naming no file. */
function library(): void {
  // first: opening a part clears its items' CSV flags (deleted included)
  const part = openExportPart(cat, sourceId(cat, "/lib"), "", "iCloud Photos");
  addOrphanRow(cat, part, "Photo Details.csv", 7, "IMG_9999.JPG", null);
  job(item("a.jpg", { sha256: "aa" }), "copy", "done", "converted/a.jpg");
  job(item("b.jpg", { sha256: "bb" }), "copy", "done", "converted/b.jpg");
  job(item("d.jpg", { sha256: "aa" }), "duplicate", "done", null);
  item("gone.jpg", { deleted: 1 });
  item("bad.heic", { error: "truncated HEIC" });
  item("new.jpg");
  job(item("f.jpg"), "convert", "failed", null);
  job(item("s.aae"), "copy", "skipped", null);
  item("vanished.jpg", { missing: 1 });
  replaceWalkProblems(cat, sourceId(cat, "/lib"), 1, [
    { path: "locked", kind: "unreadable-folder", reason: "cannot open the folder: EACCES" },
    { path: "pipe", kind: "special", reason: "a FIFO, not a regular file: never read" },
  ]);
}

describe("the ledger: items in = the sum of the statuses, 0 unaccounted", () => {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "archive-ledger-"));
    cat = openCatalog(join(dir, "catalog.db"));
  });
  afterEach(() => {
    cat.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("counts every item and walk entry once, under the status archive list gives it", () => {
    library();
    const l = ledger(cat);
    expect(l).toMatchObject({ in: 11, archived: 2, duplicates: 1, deleted: 1, unreadable: 2, pending: 2, excluded: 3, unaccounted: 0 });
    expect(l.archived + l.duplicates + l.deleted + l.unreadable + l.pending + l.excluded + l.unaccounted).toBe(l.in);
    // the same numbers as `archive list`, entry by entry
    const byStatus = new Map<string, number>();
    for (const e of listItems(cat)) byStatus.set(e.status, (byStatus.get(e.status) ?? 0) + 1);
    expect(Object.fromEntries(byStatus)).toEqual({ archived: 2, duplicate: 1, deleted: 1, unreadable: 2, pending: 2, excluded: 3 });
    expect(l.rowsWithoutFileCount).toBe(1);
    expect(l.rowsWithoutFile).toEqual([{ part: "/lib", csv: "Photo Details.csv", line: 7, name: "IMG_9999.JPG", detail: null }]);
    expect(ledgerLine(l)).toBe(
      "Ledger: 11 in = 2 archived + 1 duplicates + 1 deleted + 2 unreadable + 2 pending + 3 excluded; 0 unaccounted",
    );
  });

  it("an item whose status cannot be decided is unaccounted, never folded into another status", () => {
    library();
    job(item("odd.jpg"), "copy", "half-done", "converted/odd.jpg"); // a job status no rule knows
    const l = ledger(cat);
    expect(l.in).toBe(12);
    expect(l.unaccounted).toBe(1);
    expect(l).toMatchObject({ archived: 2, pending: 2, excluded: 3 });
    expect(ledgerLine(l)).toMatch(/; 1 unaccounted$/);
    const odd = [...listItems(cat)].find((e) => e.source === "/lib/odd.jpg");
    expect(odd).toMatchObject({ status: "unaccounted", reason: 'job status "half-done" is not one the archive knows' });
  });

  it("an empty catalog: 0 in, 0 unaccounted", () => {
    expect(ledger(cat)).toMatchObject({ in: 0, unaccounted: 0, rowsWithoutFileCount: 0, rowsWithoutFile: [] });
  });
});
