// Issue 14 #2 and #3: the workspace holds the archive and nothing else, and a refused plan writes
// nothing anywhere (least of all into the library). Each case failed on the main of 2026-12-01.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runArchive, tempDir, treeChecksum } from "../../../test/support.js";

async function library(): Promise<string> {
  const root = await tempDir("archive-ws-lib-");
  mkdirSync(join(root, "2019"));
  // a tiny but valid JPEG is not needed: plan records unknown files too; a text file is enough
  writeFileSync(join(root, "2019", "notes.txt"), "not a photo\n");
  return root;
}

describe("plan refuses a destination that is not an empty folder or a workspace", () => {
  let lib: string;
  beforeAll(async () => {
    lib = await library();
  });

  it("a folder with unrelated files does not silently become the workspace", async () => {
    const cwd = await tempDir("archive-ws-busy-");
    writeFileSync(join(cwd, "notes.md"), "my notes\n");
    mkdirSync(join(cwd, "node_modules"));
    const before = treeChecksum(cwd);
    const r = await runArchive(["plan", lib], cwd);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/not empty/);
    expect(r.stderr).toContain("-C");
    expect(existsSync(join(cwd, ".archive"))).toBe(false);
    expect(treeChecksum(cwd)).toBe(before);
  });

  it("plan from a subfolder of a workspace does not add the source to the parent", async () => {
    const ws = join(await tempDir("archive-ws-parent-"), "ws");
    expect((await runArchive(["plan", lib, "-C", ws])).code).toBe(0);
    const sub = join(ws, "converted", "sub");
    mkdirSync(sub, { recursive: true });
    const other = await library();
    const before = treeChecksum(join(ws, ".archive"));
    const r = await runArchive(["plan", other], sub);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/inside the archive workspace/);
    expect(existsSync(join(sub, ".archive"))).toBe(false);
    // the parent's catalog and config are untouched
    expect(treeChecksum(join(ws, ".archive"))).toBe(before);
  });

  it("-C into a nested folder of a workspace is refused", async () => {
    const ws = join(await tempDir("archive-ws-nest-"), "ws");
    expect((await runArchive(["plan", lib, "-C", ws])).code).toBe(0);
    const r = await runArchive(["plan", lib, "-C", join(ws, "inner")]);
    expect(r.code).toBe(3);
    expect(existsSync(join(ws, "inner"))).toBe(false);
  });

  it("an empty folder and a new folder are accepted; an existing workspace is adopted", async () => {
    const empty = await tempDir("archive-ws-empty-");
    expect((await runArchive(["plan", lib], empty)).code).toBe(0);
    expect(existsSync(join(empty, ".archive", "catalog.db"))).toBe(true);
    expect((await runArchive(["plan", lib], empty)).code).toBe(0);
    const fresh = join(await tempDir("archive-ws-new-"), "a", "b");
    expect((await runArchive(["plan", lib, "-C", fresh])).code).toBe(0);
  });
});

describe("a refused plan writes nothing into the library", () => {
  it.each([
    ["-C SRC/dest", (src: string) => join(src, "dest")],
    ["-C SRC", (src: string) => src],
    ["-C SRC/2019 (an existing non-empty folder of the library)", (src: string) => join(src, "2019")],
  ])("plan SRC %s exits 3 and leaves the library byte-identical", async (_label, dest) => {
    const src = await library();
    const before = treeChecksum(src);
    const r = await runArchive(["plan", src, "-C", dest(src)]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/never written|inside the library/);
    expect(treeChecksum(src)).toBe(before);
    expect(readdirSync(src)).toEqual(["2019"]);
  });

  it("a library inside the destination is refused too", async () => {
    const dest = await tempDir("archive-ws-outer-");
    const src = join(dest, "lib");
    mkdirSync(src);
    writeFileSync(join(src, "a.txt"), "x\n");
    const before = treeChecksum(dest);
    const r = await runArchive(["plan", src, "-C", dest]);
    expect(r.code).toBe(3);
    expect(treeChecksum(dest)).toBe(before);
  });
});
