// convertLibrary called directly on a real catalog (SQLite) over real files: the journal, the
// resolve-duplicate step, fixity of archived outputs, --redo, still-failing sources, and a file
// named after its content. Items are catalogued through the catalog's own scan functions.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from "vitest";
import {
  ArchiveError,
  createExifTool,
  jobOf,
  openCatalog,
  scannedItem,
  sourceId,
  startRun,
  writeScanBatch,
  type Catalog,
  type ExifTool,
  type ItemRecord,
} from "@archive/core";
import { realFixtures, tempDir } from "../../../test/support.js";
import { convertLibrary } from "./convert.js";
import { needsAttention, type ConvertOptions } from "./types.js";

const real = realFixtures();

function record(lib: string, rel: string, format: "jpeg" | "png", error: string | null = null): ItemRecord {
  const st = statSync(join(lib, rel));
  return {
    rel_path: rel, name: rel, dir: "", base_stem: rel.replace(/\.[^.]*$/, ""), variant: "original", size: st.size, mtime_ms: Math.floor(st.mtimeMs),
    dev: st.dev, ino: st.ino, format, kind: "photo", capture_local: null, capture_offset: null, capture_utc_ms: null, capture_year: null,
    capture_month: null, capture_source: null, gps_lat: null, gps_lon: null, make: null, model: null, lens: null, width: null, height: null,
    orientation: null, rotation: null, duration: null, codec: null, bit_depth: null, hdr: null, icc: null, content_id: null, burst_id: null,
    needs_conversion: 0, error, ext_mismatch: null,
  };
}

function flipByte(file: string): void {
  const fd = openSync(file, "r+");
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, 1000);
  b[0] = b[0]! ^ 0xff;
  writeSync(fd, b, 0, 1, 1000);
  closeSync(fd);
}

describe.skipIf(!real)("convertLibrary on a real catalog", () => {
  let et: ExifTool;
  let lib: string;
  let ws: string;
  let cat: Catalog;
  let src: number;
  const run = (o: Partial<ConvertOptions> = {}) => convertLibrary({ root: ws, catalog: cat, exiftool: et, jobs: 2, ...o });
  const catalogue = (...recs: ItemRecord[]) => writeScanBatch(cat, src, startRun(cat, "scan"), { records: recs, unchanged: [] });
  const job = (rel: string) => jobOf(cat, scannedItem(cat, src, rel)!.id)!;

  beforeAll(() => {
    et = createExifTool(1);
  });
  afterAll(async () => {
    await et.end();
  });
  beforeEach(async () => {
    lib = join(await tempDir("archive-conv-lib-"), "lib");
    ws = await tempDir("archive-conv-ws-");
    mkdirSync(lib);
    mkdirSync(join(ws, ".archive"));
    cat = openCatalog(join(ws, ".archive/catalog.db"));
    src = sourceId(cat, lib);
  });
  afterEach(() => cat.close());

  it("two identical files in flight at once: one copy archived, the other its duplicate", async () => {
    copyFileSync(join(real!, "lychee/train.jpg"), join(lib, "a.jpg"));
    copyFileSync(join(real!, "lychee/train.jpg"), join(lib, "b.jpg"));
    catalogue(record(lib, "a.jpg", "jpeg"), record(lib, "b.jpg", "jpeg"));
    const r = await run();
    expect(r).toMatchObject({ selected: 2, copied: 1, duplicates: 1, failed: [] });
    const [a, b] = [job("a.jpg"), job("b.jpg")];
    const dup = a.action === "duplicate" ? a : b;
    const kept = dup === a ? b : a;
    expect(kept).toMatchObject({ action: "copy", status: "done" });
    expect(dup).toMatchObject({ status: "done", duplicate_of: kept.item_id, output_rel: null });
    expect(needsAttention(r)).toBe(false);
  });

  it("a changed output is a fixity failure; redo replaces it and records the hash it replaced", async () => {
    copyFileSync(join(real!, "lychee/train.jpg"), join(lib, "a.jpg"));
    catalogue(record(lib, "a.jpg", "jpeg"));
    await run();
    const written = job("a.jpg");
    flipByte(join(ws, written.output_rel!));
    const rotten = createHash("sha256").update(readFileSync(join(ws, written.output_rel!))).digest("hex");
    const again = await run();
    expect(again.alreadyDone).toBe(0);
    expect(again.fixity).toEqual([{ path: "converted/a.jpg", reason: expect.stringContaining(written.output_sha256!) }]);
    expect(needsAttention(again)).toBe(true);
    expect(job("a.jpg").output_sha256).toBe(written.output_sha256); // the journal keeps what convert wrote

    await expect(run({ redo: ["converted/none.jpg"] })).rejects.toThrow(ArchiveError);
    const redo = await run({ redo: [join(ws, "converted/a.jpg")] });
    expect(redo).toMatchObject({ selected: 1, copied: 1, fixity: [] });
    // both hashes: the one the journal recorded and the damaged file's actually replaced (QA: only the first)
    expect(redo.redone).toEqual([{ path: "a.jpg", output: "converted/a.jpg", replacedSha256: written.output_sha256, foundSha256: rotten, replacedAt: written.updated_at }]);
    expect(rotten).not.toBe(written.output_sha256);
    const now = job("a.jpg");
    expect(now.output_sha256).toBe(written.output_sha256); // the source's bytes again
    expect(JSON.parse(now.params!).replaced).toMatchObject({ output: "converted/a.jpg", sha256: written.output_sha256, foundSha256: rotten });
    expect(await run()).toMatchObject({ alreadyDone: 1, fixity: [], redone: [] });
  });

  it("a source failing as before is still open, not a new failure", async () => {
    copyFileSync(join(real!, "pillow_heif/truncated.heic"), join(lib, "t.heic"));
    catalogue(record(lib, "t.heic", "jpeg", "truncated HEIF"));
    const first = await run();
    expect(first.failed).toEqual([{ path: "t.heic", reason: "truncated HEIF" }]);
    const second = await run();
    expect(second.failed).toEqual([]);
    expect(second.unresolved).toEqual([{ path: "t.heic", reason: "truncated HEIF" }]);
    expect(needsAttention(second)).toBe(true);
  });

  it("a PNG named .jpg is archived as .png and named", async () => {
    copyFileSync(join(real!, "osxphotos/IMG_2908.PNG"), join(lib, "shot.jpg"));
    catalogue(record(lib, "shot.jpg", "png"));
    const dry = await run({ dryRun: true });
    expect(dry.planned).toEqual([{ path: "shot.jpg", action: "copy", output: "converted/shot.png" }]);
    const r = await run();
    expect(r.renamed).toEqual([{ path: "shot.jpg", output: "converted/shot.png", reason: expect.stringMatching(/PNG.*\.jpg.*\.png/) }]);
    expect(job("shot.jpg").output_rel).toBe("converted/shot.png");
  });
});
