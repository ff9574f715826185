import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExifTool, openCatalog, type Catalog, type ExifTool } from "@archive/core";
import { scanLibrary, summarisePlan, type PlanSummary, type ScanResult } from "@archive/scan";
import { repoRoot, tempDir, treeChecksum } from "../../../test/support.js";

// The committed sample library (scripts/make-sample.mjs), scanned through the library API.
const sample = join(repoRoot(), "sample/library");

describe.skipIf(!existsSync(sample))("scan of sample/library", () => {
  let catalog: Catalog;
  let exiftool: ExifTool;
  let first: ScanResult;
  let second: ScanResult;
  let plan: PlanSummary;
  let before: string;
  const row = (rel: string) => catalog.db.prepare("SELECT * FROM items WHERE rel_path = ?").get(rel) as Record<string, unknown>;
  beforeAll(async () => {
    before = treeChecksum(sample);
    const ws = await tempDir();
    catalog = openCatalog(join(ws, "catalog.db"));
    exiftool = createExifTool();
    first = await scanLibrary({ source: sample, catalog, exiftool });
    second = await scanLibrary({ source: sample, catalog, exiftool });
    plan = await summarisePlan(catalog, { workspace: ws, sources: [sample] });
  });
  afterAll(async () => {
    await exiftool?.end();
    catalog?.close();
  });

  it("reads every file once, then nothing", () => {
    expect(first).toMatchObject({ files: 15, read: 15, unchanged: 0 });
    expect(second).toMatchObject({ files: 15, read: 0, unchanged: 15, missing: 0 });
    expect(treeChecksum(sample)).toBe(before);
  });

  it("pairs both Live Photos: by content id, and by name when only the MOV kept its id", () => {
    expect(plan.livePhotoPairs).toBe(2);
    const keys = (catalog.db.prepare("SELECT key FROM groups WHERE type = 'live' ORDER BY key").all() as { key: string }[]).map((r) => r.key);
    expect(keys[0]).toBe("3F2504E0-4F89-11D3-9A0C-0305E82C3301");
    expect(keys[1]).toMatch(/^name:/);
    expect(row("IMG_0202.HEIC")).toMatchObject({ content_id: "3F2504E0-4F89-11D3-9A0C-0305E82C3301" });
    expect(row("IMG_0203.MOV")).toMatchObject({ content_id: "9B2D7E14-2C1A-4F0E-8D55-6A7B8C9D0E1F", codec: "hevc", needs_conversion: 1 });
  });

  it("finds the burst, the edit set, the truncated file", () => {
    expect(plan.bursts).toEqual({ groups: 1, frames: 2 });
    expect(plan.edits).toMatchObject({ sets: 1, edited: 1, sidecars: 1, orphanSidecars: 0 });
    expect(plan.unreadable).toEqual([{ path: "IMG_0999.HEIC", reason: expect.stringMatching(/truncated/) }]);
  });

  it("capture years in each photo's own offset; EXIF-only orientation swaps the displayed size", () => {
    expect(row("IMG_0102.HEIC")).toMatchObject({ capture_local: "2019-12-31T23:30:00.000", capture_offset: "-05:00", capture_year: 2019 });
    expect(row("IMG_0201.HEIC")).toMatchObject({ orientation: 6, width: 480, height: 640, make: "Apple", model: "iPhone 12" });
    expect(row("IMG_0304.MOV")).toMatchObject({ capture_local: "2023-07-01T20:00:00", capture_offset: "-07:00", capture_source: "quicktime", duration: 2 });
    expect(row("IMG_0101.AAE")).toMatchObject({ capture_source: "original", capture_year: 2019 });
    // the truncated file has no date but its mtime, and a checkout sets mtimes to "now"
    const mtimeYear = String(new Date(statSync(join(repoRoot(), "sample/library/IMG_0999.HEIC")).mtimeMs).getUTCFullYear());
    expect(row("IMG_0999.HEIC")).toMatchObject({ capture_source: "mtime" });
    expect(Object.keys(plan.byYear)).toEqual([...new Set(["2019", "2021", "2023", mtimeYear])].sort());
    expect(plan.byYear["2019"]?.files).toBe(5);
    expect(plan.byYear["2021"]?.files).toBe(5);
    expect(plan.byYear["2023"]?.files).toBe(4);
  });
});
