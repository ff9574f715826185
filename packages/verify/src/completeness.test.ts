import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acceptUnresolved, openWorkspace, type Workspace } from "@archive/core";
import { addItem, addJob, tempDir } from "../test/helpers.js";
import { checkCompleteness } from "./completeness.js";

const SHA = "a".repeat(64);
let root: string;
let ws: Workspace;
beforeEach(async () => {
  root = await tempDir("completeness-");
  ws = openWorkspace(root, { create: true, lock: false });
  await mkdir(join(root, "converted"));
  await writeFile(join(root, "converted/a.jpg"), "a");
});
afterEach(() => ws.close());

const run = (complete: boolean, acceptUnreadable = false) =>
  checkCompleteness({ workspace: root, catalog: ws.catalog, complete, acceptUnreadable, manifest: new Map([["converted/a.jpg", SHA]]) });

describe("completeness: the current content of every item, called directly", () => {
  it("an archived item passes; the same item changed since (the job describes older content) is not converted yet", () => {
    const id = addItem(ws, "/lib", "a.jpg", { kind: "photo", format: "jpeg", size: 1, mtime_ms: 5 });
    addJob(ws, id, { action: "copy", status: "done", output_rel: "converted/a.jpg", output_sha256: SHA });
    ws.catalog.db.prepare("UPDATE jobs SET source_size = 1, source_mtime_ms = 5").run();
    expect(run(true).check.failures).toEqual([]);
    ws.catalog.db.prepare("UPDATE items SET mtime_ms = 6, size = 2").run(); // the source was edited; scan saw it
    const r = run(false);
    expect(r.pending).toEqual(["a.jpg"]);
    expect(r.check.failures).toEqual([]);
    expect(run(true).check.failures).toEqual([{ path: "a.jpg", reason: expect.stringContaining("current content is in no output") }]);
  });

  it("a duplicate whose bytes no output holds any more fails --complete", () => {
    const a = addItem(ws, "/lib", "a.jpg", { kind: "photo", format: "jpeg", size: 1, sha256: SHA });
    addJob(ws, a, { action: "copy", status: "done", output_rel: "converted/a.jpg", output_sha256: SHA });
    const b = addItem(ws, "/lib", "b.jpg", { kind: "photo", format: "jpeg", size: 1, sha256: "b".repeat(64) }); // edited since
    addJob(ws, b, { action: "duplicate", status: "done", duplicate_of: a });
    expect(run(true).check.failures).toEqual([{ path: "b.jpg", reason: expect.stringContaining("current content is in no output") }]);
  });

  it("an unreadable item nobody accepted fails --complete naming it; accepted, it is listed and passes", () => {
    addItem(ws, "/lib", "broken.heic", { kind: "photo", format: "heic", size: 10, error: "EACCES: permission denied" });
    expect(run(false).check.failures).toEqual([]);
    // QA: "15/15 passed, 1 not applicable" while that one was unresolved: it is neither passed nor accounted for
    expect(run(false).check).toMatchObject({ checked: 0, passed: 0, skipped: [] });
    expect(run(false).unresolved).toHaveLength(1);
    const r = run(true);
    expect(r.check.failures).toEqual([{ path: "broken.heic", reason: expect.stringMatching(/EACCES.*--accept-unreadable/) }]);
    expect(r.unresolved).toEqual([{ path: "/lib/broken.heic", reason: "EACCES: permission denied" }]);
    expect(run(true, true).check.failures).toEqual([]);
    acceptUnresolved(ws.catalog, "all");
    const after = run(true);
    expect(after.check.failures).toEqual([]);
    expect(after.accepted).toEqual([{ path: "/lib/broken.heic", reason: "EACCES: permission denied" }]);
    expect(run(false).check).toMatchObject({ checked: 1, passed: 1, skipped: [{ path: "broken.heic", reason: expect.stringContaining("not archived") }] });
  });

  it("a Live Photo whose video is not converted yet (no ffmpeg) waits like any pending item: a failure only with --complete", () => {
    const photo = addItem(ws, "/lib", "a.jpg", { kind: "photo", format: "jpeg", size: 1 });
    addJob(ws, photo, { action: "copy", status: "done", output_rel: "converted/a.jpg", output_sha256: SHA });
    const video = addItem(ws, "/lib", "a.mov", { kind: "video", format: "mov", size: 1 });
    const g = Number(ws.catalog.db.prepare("INSERT INTO groups (type, key) VALUES ('live', 'K1')").run().lastInsertRowid);
    for (const [id, role] of [[photo, "photo"], [video, "video"]] as const) ws.catalog.db.prepare("INSERT INTO group_members (group_id, item_id, role) VALUES (?, ?, ?)").run(g, id, role);
    const r = run(false);
    expect(r.check.failures).toEqual([]);
    expect(r.pending).toEqual(["a.mov"]);
    expect(r.check.notes.join(" ")).toMatch(/1 wait for a half not converted yet/);
    expect(run(true).check.failures).toContainEqual({ path: "a.jpg", reason: "Live Photo pair K1 incomplete: a.mov (pending) not archived" });
  });
});
