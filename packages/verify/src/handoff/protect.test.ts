import { chmod, readFile, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openWorkspace, protectionSets, sha256File } from "@archive/core";
import { addItem, addJob, hasTool, realFixtures, tempDir } from "../../test/helpers.js";
import { checkCopy } from "./check.js";
import { protect, unprotectedFiles } from "./protect.js";
import { repair } from "./repair.js";
import { ARCHIVE_FILES, buildHandoffArchive, flipBit } from "./testkit.js";

const fixtures = realFixtures();
const havePar2 = await hasTool("par2", ["-V"]);
const run = fixtures && havePar2 ? describe : describe.skip;

let tmp = "";
let root = "";

async function withWs<T>(fn: (ws: ReturnType<typeof openWorkspace>) => Promise<T>): Promise<T> {
  const ws = openWorkspace(root, { lock: false });
  try {
    return await fn(ws);
  } finally {
    ws.close();
  }
}

run("archive protect / archive repair (real par2)", () => {
  beforeAll(async () => {
    tmp = await tempDir("archive-protect-");
    root = join(tmp, "ws");
    await buildHandoffArchive(fixtures!, root);
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("writes one set per year, and a second run rebuilds nothing", async () => {
    expect((await withWs((ws) => unprotectedFiles(root, ws.catalog))).unprotected).toHaveLength(ARCHIVE_FILES.length);
    const first = await withWs((ws) => protect({ workspace: root, catalog: ws.catalog, redundancy: 10 }));
    expect(first.ok).toBe(true);
    expect(first.created.map((s) => s.batch).sort()).toEqual(["2017", "2018", "2019", "2020", "2021"]);
    expect(first.protectedFiles).toBe(ARCHIVE_FILES.length);
    const again = await withWs((ws) => protect({ workspace: root, catalog: ws.catalog }));
    expect(again.created).toEqual([]);
    expect(again.existingSets).toBe(5);
    expect((await withWs((ws) => unprotectedFiles(root, ws.catalog))).unprotected).toEqual([]);
    // protection/ is not part of the archive: the workspace still verifies clean
    expect((await withWs((ws) => checkCopy({ workspace: root, catalog: ws.catalog }))).ok).toBe(true);
  });

  it("repairs two files damaged in place, byte for byte, and verify passes again", async () => {
    const a = join(root, ARCHIVE_FILES[0]![1]);
    const b = join(root, ARCHIVE_FILES[3]![1]);
    const want = [await readFile(a), await readFile(b)];
    // outputs carry their capture time as mtime, and may be read-only: both come back with the bytes
    const captured = new Date("2019-07-14T10:20:30Z");
    await utimes(a, captured, captured);
    await chmod(a, 0o444);
    await flipBit(a);
    await flipBit(b);
    await utimes(a, captured, captured); // bit rot does not touch the times
    expect((await withWs((ws) => checkCopy({ workspace: root, catalog: ws.catalog }))).damaged).toHaveLength(2);
    const r = await withWs((ws) => repair({ workspace: root, catalog: ws.catalog }));
    expect(r.failed).toEqual([]);
    expect(r).toMatchObject({ ok: true, broken: 2 });
    expect(r.repaired.sort()).toEqual([ARCHIVE_FILES[0]![1], ARCHIVE_FILES[3]![1]].sort());
    expect((await readFile(a)).equals(want[0]!)).toBe(true);
    expect((await readFile(b)).equals(want[1]!)).toBe(true);
    const st = await stat(a);
    expect(st.mtime.toISOString()).toBe(captured.toISOString());
    expect(st.mode & 0o777).toBe(0o444);
    const after = await withWs((ws) => checkCopy({ workspace: root, catalog: ws.catalog }));
    expect(after.ok, JSON.stringify(after.extra)).toBe(true);
  });

  it("a new file in a year adds its own set; the year's existing set is untouched", async () => {
    const before = await withWs(async (ws) => protectionSets(ws.catalog).map((s) => s.par2Rel));
    const firstSet = join(root, before[0]!);
    const shaBefore = await sha256File(firstSet);
    // a new archived file appears: manifest again, then protect
    const { copyFile } = await import("node:fs/promises");
    const { buildManifest } = await import("../manifest.js");
    await copyFile(join(fixtures!, "osxphotos/IMG_2908.PNG"), join(root, "converted/2018/new.png"));
    await withWs(async (ws) => {
      const id = addItem(ws, fixtures!, "osxphotos/new.png", { kind: "photo", format: "png", size: 1, capture_year: 2018 });
      addJob(ws, id, { action: "copy", status: "done", output_rel: "converted/2018/new.png" });
      return buildManifest({ workspace: root, catalog: ws.catalog, threads: 2 });
    });
    const r = await withWs((ws) => protect({ workspace: root, catalog: ws.catalog }));
    expect(r.created, JSON.stringify(r)).toHaveLength(1);
    expect(r.created[0]).toMatchObject({ files: 1, par2: "protection/2018/2018-002.par2" });
    expect(await sha256File(firstSet)).toBe(shaBefore);
  });

  it("a file no set protects fails repair with a reason (exit 1)", async () => {
    await rm(join(root, "converted/2018/new.png"));
    await withWs(async (ws) => {
      const { removeProtectionSet } = await import("@archive/core");
      const s = protectionSets(ws.catalog).find((x) => x.par2Rel.endsWith("2018-002.par2"))!;
      removeProtectionSet(ws.catalog, s.id);
    });
    const r = await withWs((ws) => repair({ workspace: root, catalog: ws.catalog }));
    expect(r.ok).toBe(false);
    expect(r.failed).toEqual([{ path: "converted/2018/new.png", reason: expect.stringMatching(/no PAR2 set/) }]);
  });
});
