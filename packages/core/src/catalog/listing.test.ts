import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openCatalog, type Catalog } from "./db.js";
import { recordVerified, WORKSPACE_PLACE } from "./handoff.js";
import { LIST_STATUSES, listItems } from "./listing.js";
import { acceptUnresolved, replaceWalkProblems } from "./problems.js";
import { sourceId } from "./sources.js";

let dir = "";
let cat: Catalog;

function item(rel: string, extra: Record<string, unknown> = {}): number {
  const cols: Record<string, unknown> = {
    source_id: sourceId(cat, "/lib"),
    rel_path: rel,
    name: rel,
    dir: "",
    base_stem: rel,
    variant: "original",
    size: 10,
    mtime_ms: 1,
    format: "jpeg",
    kind: "photo",
    scanned_at: "2024-01-01T00:00:00Z",
    ...extra,
  };
  const keys = Object.keys(cols);
  return Number(cat.db.prepare(`INSERT INTO items (${keys.join(", ")}) VALUES (${keys.map(() => "?").join(", ")})`).run(...Object.values(cols)).lastInsertRowid);
}

function job(itemId: number, action: string, status: string, output: string | null, reason: string | null = null): void {
  cat.db
    .prepare("INSERT INTO jobs (item_id, action, status, output_rel, reason, source_size, source_mtime_ms, updated_at) VALUES (?, ?, ?, ?, ?, 10, 1, 'x')")
    .run(itemId, action, status, output, reason);
}

describe("archive list: one entry per source item", () => {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "archive-listing-"));
    cat = openCatalog(join(dir, "catalog.db"));
  });
  afterEach(() => {
    cat.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("names every status with its output, reason, CSV flags, collections and verifiedAt", () => {
    const a = item("a.jpg", { sha256: "aa", capture_local: "2019-06-04T12:11:00", capture_offset: "+02:00", capture_source: "exif", capture_year: 2019, csv_named: 1, favorite: 1 });
    job(a, "copy", "done", "converted/2019/a.jpg");
    const d = item("d.jpg", { sha256: "aa", capture_year: 2019 });
    job(d, "duplicate", "done", null);
    item("bad.heic", { error: "truncated HEIC" });
    item("new.jpg");
    const f = item("f.jpg");
    job(f, "convert", "failed", null, "ffmpeg exited 1");
    const s = item("s.aae");
    job(s, "copy", "skipped", null, "AAE sidecar");
    item("gone.jpg", { deleted: 1, csv_named: 1, hidden: 1 });
    const u = item("u.jpg");
    job(u, "copy", "paused", null); // a job status no rule of this version decides
    const c = Number(cat.db.prepare("INSERT INTO collections (kind, name) VALUES ('memory', 'Summer')").run().lastInsertRowid);
    cat.db.prepare("INSERT INTO collection_items (collection_id, item_id) VALUES (?, ?)").run(c, a);
    recordVerified(cat, WORKSPACE_PLACE, ["converted/2019/a.jpg"], "2026-01-01T00:00:00.000Z");

    const byName = new Map([...listItems(cat)].map((e) => [e.source.split("/").pop(), e]));
    expect(byName.get("a.jpg")).toMatchObject({
      source: "/lib/a.jpg",
      status: "archived",
      output: "converted/2019/a.jpg",
      captureTime: "2019-06-04T12:11:00+02:00",
      favorite: true,
      hidden: false,
      albums: ["Summer"],
      verifiedAt: "2026-01-01T00:00:00.000Z",
    });
    expect(byName.get("d.jpg")).toMatchObject({ status: "duplicate", output: "converted/2019/a.jpg", duplicateOf: "/lib/a.jpg", favorite: null });
    expect(byName.get("bad.heic")).toMatchObject({ status: "unreadable", reason: "truncated HEIC", output: null });
    expect(byName.get("new.jpg")).toMatchObject({ status: "pending", reason: "not converted yet" });
    expect(byName.get("f.jpg")).toMatchObject({ status: "pending", reason: "conversion failed: ffmpeg exited 1" });
    expect(byName.get("s.aae")).toMatchObject({ status: "excluded", reason: "AAE sidecar" });
    expect(byName.get("gone.jpg")).toMatchObject({ status: "deleted", hidden: true });

    expect(byName.get("u.jpg")).toMatchObject({ status: "unaccounted", reason: 'job status "paused" is not one the archive knows' });
    // LIST_STATUSES (what `list --status` accepts) is exactly the set of statuses list prints
    expect(new Set([...listItems(cat)].map((e) => e.status))).toEqual(new Set(LIST_STATUSES));

    expect([...listItems(cat, { status: "pending" })].map((e) => e.source).sort()).toEqual(["/lib/f.jpg", "/lib/new.jpg"]);
    expect([...listItems(cat, { status: "unaccounted" })].map((e) => e.source)).toEqual(["/lib/u.jpg"]);
    expect([...listItems(cat, { year: 2019 })]).toHaveLength(2);
    expect([...listItems(cat, { album: "Summer" })].map((e) => e.source)).toEqual(["/lib/a.jpg"]);
  });

  it("lists what the walk skipped or could not read too (QA: FIFOs, links and unreadable folders were missing)", () => {
    item("a.jpg");
    const lib = sourceId(cat, "/lib");
    replaceWalkProblems(cat, lib, 1, [
      { path: "locked", kind: "unreadable-folder", reason: "cannot open the folder: EACCES" },
      { path: "pipe", kind: "special", reason: "a FIFO, not a regular file: never read" },
      { path: "album-link", kind: "link", reason: "a link to a folder: not followed" },
    ]);
    item("bad.heic", { error: "truncated HEIC" });
    acceptUnresolved(cat, ["pipe", "bad.heic"]);
    const byName = new Map([...listItems(cat)].map((e) => [e.source.split("/").pop(), e]));
    expect(byName.size).toBe(5);
    expect(byName.get("bad.heic")).toMatchObject({ status: "unreadable", reason: expect.stringMatching(/^truncated HEIC \(accepted as not archived 20\d\d-/) });
    expect(byName.get("locked")).toMatchObject({ source: "/lib/locked", status: "unreadable", output: null, reason: "folder: cannot open the folder: EACCES" });
    expect(byName.get("pipe")).toMatchObject({ status: "excluded", reason: expect.stringMatching(/^a FIFO, not a regular file: never read \(accepted as not archived 20\d\d-/) });
    expect(byName.get("album-link")).toMatchObject({ status: "excluded", reason: "a link to a folder: not followed" });
    expect([...listItems(cat, { status: "unreadable" })].map((e) => e.source)).toEqual(["/lib/bad.heic", "/lib/locked"]);
    expect([...listItems(cat, { status: "excluded" })].map((e) => e.source).sort()).toEqual(["/lib/album-link", "/lib/pipe"]);
    // no capture year, no album: a year or album filter does not list them
    expect([...listItems(cat, { year: 2019 })]).toEqual([]);
  });
});
