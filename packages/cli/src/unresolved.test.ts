import { copyFile, mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExifTool, openWorkspace, type Workspace } from "@archive/core";
import { scanLibrary } from "@archive/scan";
import { acceptAll, acceptedItemPaths, acceptedLines, unresolvedLines, unresolvedNow } from "./unresolved.js";

const sample = join(import.meta.dirname, "../../../sample/library");

describe("unresolved source entries (a truncated HEIC from the sample library)", () => {
  let ws: Workspace;
  beforeAll(async () => {
    const tmp = await mkdtemp(join(tmpdir(), "archive-unresolved-"));
    const lib = join(tmp, "lib");
    await mkdir(lib);
    await copyFile(join(sample, "IMG_0999.HEIC"), join(lib, "IMG_0999.HEIC"));
    await copyFile(join(sample, "IMG_0303.JPG"), join(lib, "IMG_0303.JPG"));
    ws = openWorkspace(join(tmp, "ws"), { create: true });
    const exiftool = createExifTool();
    try {
      await scanLibrary({ source: lib, catalog: ws.catalog, exiftool });
    } finally {
      await exiftool.end();
    }
  });
  afterAll(() => ws?.close());

  it("names the unreadable file until it is accepted, then counts it as accepted", () => {
    const open = unresolvedNow(ws.catalog);
    expect(open.total).toBe(1);
    expect(open.list.map((r) => r.path)).toEqual(["IMG_0999.HEIC"]);
    expect(unresolvedLines(open).join("\n")).toMatch(/Unresolved: 1 source entry is not archived and not accepted\n {2}"IMG_0999\.HEIC": .*truncated/);
    expect(acceptedItemPaths(ws.catalog).size).toBe(0);

    const accepted = acceptAll(ws.catalog);
    expect(accepted.total).toBe(1);
    expect(acceptedLines(accepted).join("\n")).toContain('"IMG_0999.HEIC"');
    expect(unresolvedNow(ws.catalog).total).toBe(0);
    expect(unresolvedLines(unresolvedNow(ws.catalog))).toEqual([]);
    expect([...acceptedItemPaths(ws.catalog)]).toEqual(["IMG_0999.HEIC"]);
    // accepting again accepts nothing new
    expect(acceptAll(ws.catalog).total).toBe(0);
  });
});
