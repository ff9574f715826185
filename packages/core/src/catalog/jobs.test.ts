// convert's selection and job journal on a real catalog.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openCatalog, type Catalog } from "./db.js";
import {
  clearSelection,
  hasSelectedStill,
  isSelected,
  jobByOutput,
  jobOf,
  latestCalibration,
  outputNameTaken,
  recordJob,
  selectedItems,
  selectedLiveVideos,
  selectForConvert,
  selectionNeedsConversion,
} from "./jobs.js";
import { finishRun, startRun } from "./runs.js";
import { scannedItem, writeScanBatch } from "./scan.js";
import type { ItemRecord } from "./schema.js";
import { sourceId } from "./sources.js";

function record(rel: string, year: number, kind: "photo" | "video", convert: number): ItemRecord {
  return {
    rel_path: rel, name: rel, dir: "", base_stem: rel.replace(/\.[^.]*$/, ""), variant: "original", size: 10, mtime_ms: 1, dev: 1, ino: 1,
    format: kind === "video" ? "mov" : "heic", kind, capture_local: `${year}-06-01T12:00:00`, capture_offset: null, capture_utc_ms: null,
    capture_year: year, capture_month: 6, capture_source: "exif", gps_lat: null, gps_lon: null, make: null, model: null, lens: null, width: null,
    height: null, orientation: null, rotation: null, duration: null, codec: null, bit_depth: null, hdr: null, icc: null, content_id: null,
    burst_id: null, needs_conversion: convert, error: null, ext_mismatch: null,
  };
}

describe("catalog/jobs", () => {
  let cat: Catalog;
  let ids: Record<string, number>;
  beforeEach(() => {
    cat = openCatalog(join(mkdtempSync(join(tmpdir(), "archive-jobs-")), "catalog.db"));
    const src = sourceId(cat, "/lib");
    const recs = [record("IMG_1.HEIC", 2019, "photo", 1), record("IMG_1.MOV", 2020, "video", 1), record("IMG_2.JPG", 2019, "photo", 0)];
    writeScanBatch(cat, src, startRun(cat, "scan"), { records: recs, unchanged: [] });
    ids = Object.fromEntries(recs.map((r) => [r.rel_path, scannedItem(cat, src, r.rel_path)!.id]));
    // a Live Photo pair whose video carries another year's date (as happens around midnight)
    const g = Number(cat.db.prepare("INSERT INTO groups (type, key) VALUES ('live', 'CID')").run().lastInsertRowid);
    cat.db.prepare("INSERT INTO group_members (group_id, item_id, role) VALUES (?, ?, 'still'), (?, ?, 'video')").run(g, ids["IMG_1.HEIC"], g, ids["IMG_1.MOV"]);
  });
  afterEach(() => cat.close());

  it("a filter selects its items plus their Live Photo partners; redo selects exactly the items named", () => {
    expect(selectForConvert(cat, { year: 2019 })).toBe(3);
    expect(isSelected(cat, ids["IMG_1.MOV"]!)).toBe(true);
    expect(selectionNeedsConversion(cat, "video")).toBe(true);
    const rows = [...selectedItems(cat, 2)];
    expect(rows.map((r) => [r.rel_path, r.live_role])).toEqual([["IMG_1.HEIC", "still"], ["IMG_1.MOV", "video"], ["IMG_2.JPG", null]]);
    expect(hasSelectedStill(cat, rows[0]!.live_group!)).toBe(true);
    expect(selectedLiveVideos(cat, rows[0]!.live_group!).map((r) => r.rel_path)).toEqual(["IMG_1.MOV"]);
    expect(selectForConvert(cat, { itemIds: [ids["IMG_2.JPG"]!] })).toBe(1);
    expect(selectionNeedsConversion(cat, "photo")).toBe(false);
    clearSelection(cat);
  });

  it("the journal records, finds by output (any case) and knows taken names", () => {
    const id = ids["IMG_1.HEIC"]!;
    recordJob(cat, { itemId: id, action: "convert", status: "pending", outputRel: "converted/IMG_1.jpg", sourceSize: 10, sourceMtimeMs: 1, runId: 1 });
    recordJob(cat, {
      itemId: id, action: "convert", status: "done", outputRel: "converted/IMG_1.jpg", outputSize: 5, outputSha256: "f".repeat(64),
      params: { quality: 90 }, sourceSize: 10, sourceMtimeMs: 1, runId: 1,
    });
    expect(jobOf(cat, id)).toMatchObject({ action: "convert", status: "done", output_size: 5, params: '{"quality":90}', duplicate_of: null });
    expect(jobByOutput(cat, "CONVERTED/img_1.JPG")?.item_id).toBe(id);
    expect(outputNameTaken(cat, "converted/img_1.jpg", ids["IMG_2.JPG"]!)).toBe(true);
    expect(outputNameTaken(cat, "converted/img_1.jpg", id)).toBe(false);
  });

  it("the latest convert run's calibration, typed by the caller", () => {
    expect(latestCalibration(cat)).toBeNull();
    const run = startRun(cat, "convert");
    const calibration = { photoSeconds: 1.2, videoSecondsPerSecond: 2, measuredAt: "2026-01-01T00:00:00Z" };
    finishRun(cat, run, "convert", "ok", {
      selected: 1, converted: 1, copied: 0, linked: 0, duplicates: 0, alreadyDone: 0, skipped: 0, failed: 0, warnings: 0, pending: 0, fixity: 0,
      renamed: 0, unresolved: 0, redone: [], bytesIn: 1, bytesOut: 1, durationMs: 1, ffmpeg: null, stoppedEarly: false, calibration,
    });
    expect(latestCalibration(cat)).toEqual(calibration);
  });
});
