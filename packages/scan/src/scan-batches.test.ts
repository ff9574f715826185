// Every file of a large folder becomes one catalog row: the scan reads 8 files at a time and
// writes them in batches of 256, and a record must never land in a batch already written.
// (Found by bench/dedupe.mjs: 56 of 5,000 files had no row and no reason.)
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createExifTool, listItems, openCatalog } from "@archive/core";
import { tempDir } from "../../../test/support.js";
import { scanLibrary } from "./scan.js";

describe("scanLibrary over more files than one write batch", () => {
  it("catalogs every file, read concurrently, with no row lost between batches", async () => {
    const src = await tempDir("archive-scan-many-");
    const names: string[] = [];
    for (let d = 0; d < 6; d++) {
      mkdirSync(join(src, `album-${d}`));
      for (let i = 0; i < 200; i++) {
        const rel = `album-${d}/IMG_${d}${String(i).padStart(4, "0")}.bin`;
        // sizes vary so reads finish out of order
        writeFileSync(join(src, rel), randomBytes(100 + ((i * 7919) % 300_000)));
        names.push(rel);
      }
    }
    const cat = openCatalog(join(await tempDir("archive-scan-many-ws-"), "catalog.db"));
    const et = createExifTool();
    try {
      const r = await scanLibrary({ source: src, catalog: cat, exiftool: et });
      expect(r.files).toBe(names.length);
      const rows = [...listItems(cat, {})].length;
      expect(rows).toBe(names.length);
    } finally {
      await et.end();
      cat.close();
    }
  });
});
