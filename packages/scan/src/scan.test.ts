import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExifTool, listUnresolved, openCatalog, planExtensionMismatches, type Catalog, type ExifTool } from "@archive/core";
import { tempDir } from "../../../test/support.js";
import { scanLibrary, type ScanResult } from "./scan.js";
import { summarisePlan } from "./plan.js";

// A real 1x1 PNG (the smallest valid one): content says PNG whatever the name says.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");

describe("scanLibrary on a tree with everything a walk can meet", () => {
  let src: string;
  let cat: Catalog;
  let et: ExifTool;
  let first: ScanResult;
  const haveFifo = () => spawnSync("mkfifo", ["--help"]).status === 0;
  beforeAll(async () => {
    src = await tempDir("archive-scan-odd-");
    mkdirSync(join(src, "album"));
    writeFileSync(join(src, "album", "photo.jpg"), PNG); // a PNG named .jpg
    writeFileSync(join(src, "album", "real.png"), PNG);
    writeFileSync(join(src, "new\nline.png"), PNG);
    writeFileSync(join(src, ".DS_Store"), "junk");
    writeFileSync(join(src, "album", "._photo.jpg"), "apple double");
    writeFileSync(Buffer.concat([Buffer.from(join(src, "caf")), Buffer.from([0xe9]), Buffer.from(".png")]), PNG);
    symlinkSync("album", join(src, "album-link"));
    symlinkSync("nowhere.jpg", join(src, "dangling.jpg"));
    symlinkSync("album/real.png", join(src, "link-to-file.png"));
    const outside = await tempDir("archive-scan-outside-");
    writeFileSync(join(outside, "elsewhere.png"), PNG);
    symlinkSync(join(outside, "elsewhere.png"), join(src, "link-out.png"));
    if (haveFifo()) spawnSync("mkfifo", [join(src, "pipe")]);
    cat = openCatalog(join(await tempDir("archive-scan-ws-"), "catalog.db"));
    et = createExifTool();
    first = await scanLibrary({ source: src, catalog: cat, exiftool: et });
  });
  afterAll(async () => {
    await et?.end();
    cat?.close();
  });

  it("catalogs the files (newline names and links to files included) and counts the droppings", () => {
    expect(first.files).toBe(4); // photo.jpg, real.png, new\nline.png, link-to-file.png
    expect(first.ignored).toBe(2);
  });

  it("records every walk problem in the catalog, unresolved", () => {
    const kinds = Object.fromEntries([...listUnresolved(cat)].map((u) => [u.path, u.kind]));
    expect(kinds).toMatchObject({ "album-link": "link", "dangling.jpg": "broken-link", "caf\uFFFD.png": "name", "link-out.png": "link" });
    if (haveFifo()) expect(kinds["pipe"]).toBe("special");
    expect(first.skipped.map((s) => s.path)).toEqual(expect.arrayContaining(["album-link", "caf\uFFFD.png", "link-out.png"]));
    expect(first.skipped.find((s) => s.path === "link-out.png")?.reason).toMatch(/outside the library/);
    expect(first.unreadable).toEqual([{ path: "dangling.jpg", reason: "dangling symlink" }]);
  });

  it("names a file whose extension disagrees with its content, in the catalog and the plan", async () => {
    expect(planExtensionMismatches(cat)).toEqual({ files: 1, examples: [{ path: "album/photo.jpg", format: "png", extension: "jpg" }] });
    const plan = await summarisePlan(cat, { workspace: src, sources: [src] });
    expect(plan.extensionMismatch.files).toBe(1);
    expect(plan.skipped.map((s) => s.path)).toEqual(expect.arrayContaining(["album-link", "caf\uFFFD.png"]));
    expect(plan.unresolved.unresolved).toBe(haveFifo() ? 5 : 4);
  });

  it("a second scan reads nothing again and keeps the same problems", async () => {
    const again = await scanLibrary({ source: src, catalog: cat, exiftool: et });
    expect(again).toMatchObject({ files: 4, read: 0, unchanged: 4, ignored: 2 });
    expect([...listUnresolved(cat)].length).toBe(haveFifo() ? 5 : 4);
  });
});

describe("an interrupted scan", () => {
  it("keeps what it read, marks nothing missing and forgets no problem", async () => {
    const src = await tempDir("archive-scan-abort-");
    for (let i = 0; i < 20; i++) writeFileSync(join(src, `f${i}.png`), PNG);
    symlinkSync("nowhere", join(src, "dangling.png"));
    const cat = openCatalog(join(await tempDir("archive-scan-abort-ws-"), "catalog.db"));
    const et = createExifTool();
    try {
      const full = await scanLibrary({ source: src, catalog: cat, exiftool: et });
      expect(full.files).toBe(20);
      const ac = new AbortController();
      ac.abort();
      await expect(scanLibrary({ source: src, catalog: cat, exiftool: et, signal: ac.signal })).rejects.toMatchObject({ code: "E_ABORTED" });
      expect(cat.db.prepare("SELECT COUNT(*) AS n FROM items WHERE missing = 1").get()).toEqual({ n: 0 });
      expect([...listUnresolved(cat)].map((u) => u.path)).toEqual(["dangling.png"]);
    } finally {
      await et.end();
      cat.close();
    }
  });
});
