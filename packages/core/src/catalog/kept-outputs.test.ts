// A source changed after it was archived: its output is kept with its journal line (kept_outputs),
// on a real SQLite catalog written through the catalog's own functions.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { openCatalog, type Catalog } from "./db.js";
import { changedSinceArchived } from "./duplicates.js";
import { jobOf, keepOutputAndRecord, keptOutputsOf, outputNameTaken, recordJob } from "./jobs.js";
import { startRun } from "./runs.js";
import { scannedItem, writeScanBatch } from "./scan.js";
import type { ItemRecord } from "./schema.js";
import { sourceId } from "./sources.js";
import { archivedOutputs } from "./verify.js";

const SHA_OLD = "a".repeat(64);

function record(rel: string, size: number, mtime: number): ItemRecord {
  return {
    rel_path: rel, name: rel, dir: "", base_stem: rel, variant: "original", size, mtime_ms: mtime, dev: 1, ino: 1, format: "jpeg", kind: "photo",
    capture_local: null, capture_offset: null, capture_utc_ms: null, capture_year: null, capture_month: null, capture_source: null,
    gps_lat: null, gps_lon: null, make: null, model: null, lens: null, width: null, height: null, orientation: null, rotation: null,
    duration: null, codec: null, bit_depth: null, hdr: null, icc: null, content_id: null, burst_id: null, needs_conversion: 0, error: null, ext_mismatch: null,
  };
}

describe("catalog/jobs: kept outputs", () => {
  let cat: Catalog;
  let src: number;
  let id: number;
  const scan = (recs: ItemRecord[]) => writeScanBatch(cat, src, startRun(cat, "scan"), { records: recs, unchanged: [] });

  beforeEach(() => {
    cat = openCatalog(join(mkdtempSync(join(tmpdir(), "archive-kept-")), "catalog.db"));
    src = sourceId(cat, "/lib");
    scan([record("c.jpg", 100, 1)]);
    id = scannedItem(cat, src, "c.jpg")!.id;
    recordJob(cat, {
      itemId: id, action: "copy", status: "done", outputRel: "converted/c.jpg", outputSha256: SHA_OLD, outputSize: 100,
      params: { original: "originals/c.jpg", originalSha256: SHA_OLD }, sourceSize: 100, sourceMtimeMs: 1, runId: 1,
    });
  });

  it("names a source changed after it was archived, and keeps its output's line when the new content is claimed", () => {
    expect([...changedSinceArchived(cat)]).toEqual([]);
    scan([record("c.jpg", 100, 2)]); // same size, new mtime: the content changed
    expect([...changedSinceArchived(cat)]).toEqual([{ itemId: id, relPath: "c.jpg", output: "converted/c.jpg" }]);

    const kept = keepOutputAndRecord(cat, id, "the source changed", { itemId: id, action: "copy", status: "pending", outputRel: null, sourceSize: 100, sourceMtimeMs: 2, runId: 2 });
    expect(kept).toBe("converted/c.jpg");
    expect(jobOf(cat, id)).toMatchObject({ status: "pending", output_rel: null, source_mtime_ms: 2 });
    expect(keptOutputsOf(cat, id)).toEqual([expect.objectContaining({ output_rel: "converted/c.jpg", output_sha256: SHA_OLD, reason: "the source changed" })]);
    expect([...changedSinceArchived(cat)]).toEqual([]);
    // the kept name is never handed out again, to this item or another
    expect(outputNameTaken(cat, "converted/C.jpg", id)).toBe(true);
    // the manifest keeps the kept output's line and its original's, with the hashes convert wrote
    expect([...archivedOutputs(cat)]).toEqual([
      { rel: "converted/c.jpg", itemId: id, sha256: SHA_OLD, size: 100 },
      { rel: "originals/c.jpg", itemId: id, sha256: SHA_OLD, size: null },
    ]);
  });

  it("keeps nothing when the job has no output of its own", () => {
    recordJob(cat, { itemId: id, action: "duplicate", status: "done", outputRel: null, sourceSize: 100, sourceMtimeMs: 1, duplicateOf: 99, runId: 1 });
    expect(keepOutputAndRecord(cat, id, "x", { itemId: id, action: "copy", status: "pending", outputRel: null, sourceSize: 100, sourceMtimeMs: 2, runId: 2 })).toBeNull();
    expect(keptOutputsOf(cat, id)).toEqual([]);
  });
});
