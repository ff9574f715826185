// Issue 12, scan side: when a file's content changes, nothing of the old content's state
// survives for it: not its SHA-256, not its place in a duplicate group.
import { createHash } from "node:crypto";
import { readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExifTool, currentDuplicateOf, openCatalog, recordContentHash, type Catalog, type ExifTool } from "@archive/core";
import { tempDir } from "../../../test/support.js";
import { scanLibrary } from "./scan.js";

describe("a re-scanned changed file loses its old content's state", () => {
  let src: string;
  let cat: Catalog;
  let et: ExifTool;
  const item = (rel: string) => cat.db.prepare("SELECT id, sha256, size, mtime_ms FROM items WHERE rel_path = ?").get(rel) as { id: number; sha256: string | null; size: number; mtime_ms: number };
  const groupsOf = (id: number) =>
    (cat.db.prepare("SELECT g.type FROM group_members m JOIN groups g ON g.id = m.group_id WHERE m.item_id = ?").all(id) as { type: string }[]).map((r) => r.type);
  beforeAll(async () => {
    src = await tempDir("archive-changed-");
    const bytes = Buffer.from("the same bytes in two files\n");
    writeFileSync(join(src, "a.txt"), bytes);
    writeFileSync(join(src, "b.txt"), bytes);
    cat = openCatalog(join(await tempDir("archive-changed-ws-"), "catalog.db"));
    et = createExifTool();
    await scanLibrary({ source: src, catalog: cat, exiftool: et });
    // what `archive dedupe` leaves behind: both hashed, one group (key = SHA-256), a keeper and a duplicate
    const sha = createHash("sha256").update(bytes).digest("hex");
    for (const rel of ["a.txt", "b.txt"]) expect(recordContentHash(cat, item(rel).id, sha, item(rel).size, item(rel).mtime_ms)).toBe(true);
    const g = Number(cat.db.prepare("INSERT INTO groups (type, key) VALUES ('duplicate', ?)").run(sha).lastInsertRowid);
    cat.db.prepare("INSERT INTO group_members (group_id, item_id, role) VALUES (?, ?, 'keeper'), (?, ?, 'duplicate')").run(g, item("a.txt").id, g, item("b.txt").id);
  });
  afterAll(async () => {
    await et?.end();
    cat?.close();
  });

  it("before the edit, b is a current duplicate of a", () => {
    expect(currentDuplicateOf(cat, item("b.txt").id)).toMatchObject({ keeperId: item("a.txt").id });
  });

  it("after the edit and a re-scan, b has no SHA-256, is no current duplicate, and is in no duplicate group", async () => {
    const b = join(src, "b.txt");
    writeFileSync(b, Buffer.concat([readFileSync(b), Buffer.from("edited\n")]));
    utimesSync(b, new Date(), new Date(Date.now() + 5000));
    const r = await scanLibrary({ source: src, catalog: cat, exiftool: et });
    expect(r).toMatchObject({ read: 1, unchanged: 1 });
    const after = item("b.txt");
    expect(after.sha256).toBeNull();
    expect(currentDuplicateOf(cat, after.id)).toBeNull();
    expect(groupsOf(after.id)).not.toContain("duplicate");
    // the unchanged file keeps what it knows
    expect(item("a.txt").sha256).not.toBeNull();
  });
});
