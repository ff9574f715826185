// The decide step and output naming, on real rows, a real catalog and real files on disk.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openCatalog, recordJob, sourceId, startRun, writeScanBatch, scannedItem, type ConvertItemRow, type ItemRecord } from "@archive/core";
import { tempDir } from "../../../test/support.js";
import { CalibrationAccumulator } from "./calibration.js";
import { chooseName, decide, outputExtension } from "./decide.js";

const row = (o: Partial<ConvertItemRow>): ConvertItemRow => ({
  id: 1, source_id: 1, root: "/lib", rel_path: "IMG_1.HEIC", name: "IMG_1.HEIC", size: 10, mtime_ms: 1, ino: null, format: "heic", kind: "photo",
  capture_utc_ms: null, capture_year: null, capture_month: null, width: null, height: null, orientation: null, make: null,
  needs_conversion: 1, error: null, sha256: null, live_group: null, live_role: null, ...o,
});

describe("decide", () => {
  it.each([
    [{ error: "truncated HEIF" }, false, "fail"],
    [{ kind: "other", needs_conversion: 0 }, false, "skip"],
    [{}, false, "convert"],
    [{ format: "jpeg", needs_conversion: 0 }, false, "copy"],
    [{ format: "jpeg", needs_conversion: 0 }, true, "link"],
  ] as const)("%o (link %s) -> %s", (o, link, want) => {
    expect(decide(row(o), link)).toBe(want);
  });
});

describe("outputExtension", () => {
  it("conversions get .jpg / .mp4; copies keep the source's extension", () => {
    expect(outputExtension(row({}), "convert", ".HEIC")).toEqual({ ext: ".jpg", mismatch: null });
    expect(outputExtension(row({ kind: "video", format: "mov", name: "a.MOV" }), "convert", ".MOV")).toEqual({ ext: ".mp4", mismatch: null });
    expect(outputExtension(row({ format: "jpeg", name: "a.JPG" }), "copy", ".JPG")).toEqual({ ext: ".JPG", mismatch: null });
    expect(outputExtension(row({ format: "jpeg", name: "mongolia" }), "copy", "")).toEqual({ ext: "", mismatch: null });
  });
  it("a copy whose content disagrees with its extension is named after the content", () => {
    const r = outputExtension(row({ format: "png", name: "shot.jpg" }), "copy", ".jpg");
    expect(r.ext).toBe(".png");
    expect(r.mismatch).toMatch(/PNG/);
  });
});

describe("chooseName", () => {
  it("skips names another item's job owns (any case) and unrelated files on disk, reuses the item's own", async () => {
    const ws = await tempDir("archive-names-");
    mkdirSync(join(ws, ".archive"));
    const cat = openCatalog(join(ws, ".archive/catalog.db"));
    try {
      const src = sourceId(cat, "/lib");
      const rec = (rel: string): ItemRecord => ({
        rel_path: rel, name: rel, dir: "", base_stem: "IMG_1", variant: "original", size: 1, mtime_ms: 1, dev: 1, ino: 1, format: "jpeg", kind: "photo",
        capture_local: null, capture_offset: null, capture_utc_ms: null, capture_year: null, capture_month: null, capture_source: null, gps_lat: null,
        gps_lon: null, make: null, model: null, lens: null, width: null, height: null, orientation: null, rotation: null, duration: null, codec: null,
        bit_depth: null, hdr: null, icc: null, content_id: null, burst_id: null, needs_conversion: 0, error: null, ext_mismatch: null,
      });
      writeScanBatch(cat, src, startRun(cat, "scan"), { records: [rec("IMG_1.jpg"), rec("x/IMG_1.jpg")], unchanged: [] });
      const other = scannedItem(cat, src, "IMG_1.jpg")!.id;
      const me = row({ id: scannedItem(cat, src, "x/IMG_1.jpg")!.id });
      recordJob(cat, { itemId: other, action: "copy", status: "done", outputRel: "converted/img_1.JPG", sourceSize: 1, sourceMtimeMs: 1, runId: 1 });
      mkdirSync(join(ws, "converted"));
      writeFileSync(join(ws, "converted/IMG_1~2.jpg"), "not ours");
      const name = { dir: "converted", stem: "IMG_1", ext: ".jpg" };
      expect(await chooseName(cat, ws, me, { ...name, previous: null })).toBe("converted/IMG_1~3.jpg");
      expect(await chooseName(cat, ws, me, { ...name, previous: "converted/IMG_1~2.jpg" })).toBe("converted/IMG_1~2.jpg");
    } finally {
      cat.close();
    }
  });
});

describe("CalibrationAccumulator", () => {
  it("averages photo seconds and size ratios; nothing measured, nothing claimed", () => {
    const c = new CalibrationAccumulator();
    expect(c.result()).toBeUndefined();
    c.photo(2, 1000, 1500);
    c.photo(4, 1000, 500);
    expect(c.result()).toMatchObject({ photoSeconds: 3, heicToJpegBytes: 1, videoSecondsPerSecond: 1.5 });
  });
});
