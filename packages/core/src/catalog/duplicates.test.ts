// The one "current content" rule, on a real SQLite catalog written through the catalog's own
// functions (scan batches, the job journal); only dedupe's group rows are written by hand here.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openCatalog, type Catalog } from "./db.js";
import {
  archivedCopyOf,
  archivedOutputFor,
  currentArchiveOf,
  currentDuplicateOf,
  forgetDuplicateState,
  possiblyArchivedPage,
  recordContentHash,
  staleJobs,
} from "./duplicates.js";
import { recordJob } from "./jobs.js";
import { startRun } from "./runs.js";
import { scannedItem, writeScanBatch } from "./scan.js";
import type { ItemRecord } from "./schema.js";
import { sourceId } from "./sources.js";

const SHA_A = "a".repeat(64);
const SHA_B = "b".repeat(64);

function record(rel: string, size: number, mtime: number): ItemRecord {
  return {
    rel_path: rel, name: rel, dir: "", base_stem: rel, variant: "original", size, mtime_ms: mtime, dev: 1, ino: 1, format: "jpeg", kind: "photo",
    capture_local: null, capture_offset: null, capture_utc_ms: null, capture_year: null, capture_month: null, capture_source: null,
    gps_lat: null, gps_lon: null, make: null, model: null, lens: null, width: null, height: null, orientation: null, rotation: null,
    duration: null, codec: null, bit_depth: null, hdr: null, icc: null, content_id: null, burst_id: null, needs_conversion: 0, error: null, ext_mismatch: null,
  };
}

describe("catalog/duplicates: one rule for current duplicates and archived content", () => {
  let cat: Catalog;
  let src: number;
  let a: number;
  let b: number;
  const scan = (recs: ItemRecord[]) => writeScanBatch(cat, src, startRun(cat, "scan"), { records: recs, unchanged: [] });
  const idOf = (rel: string) => scannedItem(cat, src, rel)!.id;
  const archive = (id: number, size: number, mtime: number, out: string | null, dup: number | null = null) =>
    recordJob(cat, {
      itemId: id, action: dup === null ? "copy" : "duplicate", status: "done", outputRel: out, outputSha256: out ? SHA_A : null,
      sourceSize: size, sourceMtimeMs: mtime, duplicateOf: dup, runId: 1,
    });

  beforeEach(() => {
    cat = openCatalog(join(mkdtempSync(join(tmpdir(), "archive-dups-")), "catalog.db"));
    src = sourceId(cat, "/lib");
    scan([record("a.jpg", 100, 1), record("b.jpg", 100, 2)]);
    a = idOf("a.jpg");
    b = idOf("b.jpg");
    expect(recordContentHash(cat, a, SHA_A, 100, 1)).toBe(true);
    expect(recordContentHash(cat, b, SHA_A, 100, 2)).toBe(true);
    // dedupe's record: a keeps, b duplicates (group key = the shared SHA-256)
    const g = Number(cat.db.prepare("INSERT INTO groups (type, key) VALUES ('duplicate', ?)").run(SHA_A).lastInsertRowid);
    cat.db.prepare("INSERT INTO group_members (group_id, item_id, role) VALUES (?, ?, 'keeper'), (?, ?, 'duplicate')").run(g, a, g, b);
  });
  afterEach(() => cat.close());

  it("a hash is stored only for the bytes the catalog describes", () => {
    expect(recordContentHash(cat, a, SHA_B, 100, 999)).toBe(false);
    expect(archivedCopyOf(cat, b)).toBeNull(); // nothing archived yet
  });

  it("a duplicate is current while both SHA-256 equal the group's, and archived through its keeper", () => {
    archive(a, 100, 1, "converted/a.jpg");
    archive(b, 100, 2, null, a);
    expect(currentDuplicateOf(cat, b)).toEqual({ keeperId: a, sha256: SHA_A, keeperOutput: "converted/a.jpg" });
    expect(currentDuplicateOf(cat, a)).toBeNull();
    expect(archivedOutputFor(cat, SHA_A, 100, { exceptItem: b })).toEqual({ itemId: a, output: "converted/a.jpg" });
    expect(archivedCopyOf(cat, b)).toEqual({ itemId: a, output: "converted/a.jpg" });
    expect(currentArchiveOf(cat, b)).toEqual({ archived: true, byItem: a, output: "converted/a.jpg" });
    expect([...staleJobs(cat)]).toEqual([]);
  });

  it("an edited former duplicate is not a duplicate and its current content is in no output", () => {
    archive(a, 100, 1, "converted/a.jpg");
    archive(b, 100, 2, null, a);
    scan([record("b.jpg", 120, 3)]); // the re-scan of the edited file clears its SHA-256
    expect(currentDuplicateOf(cat, b)).toBeNull();
    expect(currentArchiveOf(cat, b)).toEqual({ archived: false, reason: "the source changed after it was archived" });
    expect([...staleJobs(cat)]).toEqual([{ itemId: b, relPath: "b.jpg", reason: "the source changed after it was archived" }]);
    // and it is a candidate for "already archived under another name?" hashing only if a size matches
    expect(possiblyArchivedPage(cat, 0).map((i) => i.id)).toEqual([]);
  });

  it("when the keeper is edited, the duplicate's bytes are in no output any more", () => {
    archive(a, 100, 1, "converted/a.jpg");
    archive(b, 100, 2, null, a);
    scan([record("a.jpg", 100, 5)]); // same size, new bytes
    expect(currentDuplicateOf(cat, b)).toBeNull();
    expect(archivedOutputFor(cat, SHA_A, 100)).toBeNull();
    expect(currentArchiveOf(cat, b).archived).toBe(false);
    expect([...staleJobs(cat)].map((s) => s.relPath).sort()).toEqual(["a.jpg", "b.jpg"]);
    expect(possiblyArchivedPage(cat, 0)).toEqual([]);
  });

  it("a job this run reserved counts as archived content for this run only", () => {
    recordJob(cat, { itemId: a, action: "copy", status: "pending", outputRel: null, sourceSize: 100, sourceMtimeMs: 1, runId: 7 });
    expect(archivedOutputFor(cat, SHA_A, 100, { exceptItem: b, pendingRun: 7 })).toEqual({ itemId: a, output: null });
    expect(archivedOutputFor(cat, SHA_A, 100, { exceptItem: b, pendingRun: 8 })).toBeNull();
  });

  it("forgetDuplicateState drops the item's membership and a group left alone", () => {
    forgetDuplicateState(cat, b);
    expect(currentDuplicateOf(cat, b)).toBeNull();
    expect(cat.db.prepare("SELECT COUNT(*) AS n FROM groups WHERE type = 'duplicate'").get()).toEqual({ n: 0 });
  });
});
