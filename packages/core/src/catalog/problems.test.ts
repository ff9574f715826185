import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openCatalog, type Catalog } from "./db.js";
import { acceptUnresolved, countUnresolved, listProblemsAndUnreadable, listUnresolved, replaceWalkProblems } from "./problems.js";
import { startRun } from "./runs.js";
import { markMissingItems, scannedItem, writeScanBatch } from "./scan.js";
import type { ItemRecord } from "./schema.js";
import { sourceId } from "./sources.js";

function record(rel: string, error: string | null, size = 10): ItemRecord {
  return {
    rel_path: rel, name: rel, dir: "", base_stem: rel, variant: "original", size, mtime_ms: 1, dev: 1, ino: 1, format: "jpeg", kind: "photo",
    capture_local: null, capture_offset: null, capture_utc_ms: null, capture_year: null, capture_month: null, capture_source: null,
    gps_lat: null, gps_lon: null, make: null, model: null, lens: null, width: null, height: null, orientation: null, rotation: null,
    duration: null, codec: null, bit_depth: null, hdr: null, icc: null, content_id: null, burst_id: null, needs_conversion: 0, error, ext_mismatch: null,
  };
}

describe("unresolved problems (nothing unreadable is silent)", () => {
  let cat: Catalog;
  let src: number;
  beforeEach(() => {
    cat = openCatalog(join(mkdtempSync(join(tmpdir(), "archive-problems-")), "catalog.db"));
    src = sourceId(cat, "/lib");
  });
  afterEach(() => cat.close());

  const paths = () => [...listUnresolved(cat)].map((u) => `${u.kind}:${u.path}`);

  it("lists unreadable items and walk problems until accepted", () => {
    const run = startRun(cat, "scan");
    writeScanBatch(cat, src, run, { records: [record("bad.heic", "truncated HEIF"), record("ok.jpg", null)], unchanged: [] });
    replaceWalkProblems(cat, src, run, [
      { path: "locked", kind: "unreadable-folder", reason: "cannot read the folder: EACCES" },
      { path: "pipe", kind: "special", reason: "a FIFO (named pipe), not a regular file: never read" },
    ]);
    expect(paths()).toEqual(["item:bad.heic", "unreadable-folder:locked", "special:pipe"]);
    expect(countUnresolved(cat)).toEqual({ unresolved: 3, accepted: 0, unreadableItems: 1, walkProblems: 2 });

    expect(acceptUnresolved(cat, ["locked", "/lib/bad.heic"])).toBe(2);
    expect(paths()).toEqual(["special:pipe"]);
    expect(countUnresolved(cat)).toMatchObject({ unresolved: 1, accepted: 2 });
    expect([...listProblemsAndUnreadable(cat)]).toHaveLength(3);
    expect(acceptUnresolved(cat, "all")).toBe(1);
    expect(paths()).toEqual([]);
  });

  it("a later scan keeps an acceptance while the problem is the same, resets it when it changes, forgets what is gone", () => {
    const r1 = startRun(cat, "scan");
    replaceWalkProblems(cat, src, r1, [
      { path: "a", kind: "unreadable-folder", reason: "EACCES" },
      { path: "b", kind: "link", reason: "symlinked folder (not followed)" },
      { path: "c", kind: "vanished", reason: "vanished during the walk" },
    ]);
    acceptUnresolved(cat, "all");
    const r2 = startRun(cat, "scan");
    replaceWalkProblems(cat, src, r2, [
      { path: "a", kind: "unreadable-folder", reason: "EACCES" },
      { path: "b", kind: "broken-link", reason: "dangling symlink" },
    ]);
    expect(paths()).toEqual(["broken-link:b"]);
    expect([...listProblemsAndUnreadable(cat)].map((p) => p.path)).toEqual(["a", "b"]);
  });

  it("an accepted unreadable item that changes is unresolved again; a missing item is not listed", () => {
    const r1 = startRun(cat, "scan");
    writeScanBatch(cat, src, r1, { records: [record("bad.heic", "truncated HEIF"), record("gone.heic", "empty file")], unchanged: [] });
    acceptUnresolved(cat, "all");
    expect(paths()).toEqual([]);
    const r2 = startRun(cat, "scan");
    writeScanBatch(cat, src, r2, { records: [record("bad.heic", "truncated HEIF", 11)], unchanged: [] });
    expect(markMissingItems(cat, src, r2)).toBe(1);
    expect(paths()).toEqual(["item:bad.heic"]);
    expect(scannedItem(cat, src, "bad.heic")).toMatchObject({ size: 11 });
  });
});
