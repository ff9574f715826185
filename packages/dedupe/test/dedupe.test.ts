import { createHash } from "node:crypto";
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createExifTool, edgeFingerprint, openWorkspace, sha256File, type Workspace } from "@archive/core";
import { scanLibrary } from "@archive/scan";
import {
  archivedCopyOf,
  BatchPool,
  chooseKeeper,
  duplicateOf,
  findArchiveDuplicates,
  findSourceDuplicates,
  linkDuplicates,
  newContentCount,
  quarantineDuplicates,
  restoreQuarantine,
} from "@archive/dedupe";
import { realFixtures } from "../../../test/support.js";

const REAL = realFixtures() ?? "";
const haveReal = REAL !== "";

/** path -> sha256 of every regular file under `root` (symlinks recorded as link targets). */
function treeHashes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out[relative(root, p)] = createHash("sha256").update(readFileSync(p)).digest("hex");
      else if (e.isSymbolicLink()) out[relative(root, p)] = "symlink";
    }
  };
  walk(root);
  return out;
}

async function scanInto(ws: Workspace, source: string): Promise<void> {
  const exiftool = createExifTool();
  try {
    await scanLibrary({ source, catalog: ws.catalog, exiftool });
  } finally {
    await exiftool.end();
  }
}

const temps: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!haveReal)("on ../shared/fixtures/real", () => {
  it("finds exactly the byte-identical HEIC pair, records it, and leaves the source unchanged", async () => {
    const before = treeHashes(REAL);
    const ws = openWorkspace(tmp("dedupe-real-"), { create: true });
    try {
      await scanInto(ws, REAL);
      const r = await findSourceDuplicates({ catalog: ws.catalog });
      expect(r.problems).toEqual([]);
      expect(r.groups).toHaveLength(1);
      const g = r.groups[0]!;
      const paths = [g.keeper.rel, ...g.duplicates.map((d) => d.rel)].sort();
      expect(paths).toEqual(["exifr/heic-maybebroken.HEIC", "metadata-extractor-images/IMG_1034.heic"]);
      expect(r.bytesSaved).toBe(g.size);
      // recorded for plan/convert/verify
      const dup = duplicateOf(ws.catalog, g.duplicates[0]!.id);
      expect(dup).toEqual({ keeperId: g.keeper.id, sha256: g.sha256, keeperOutput: null });
      expect(duplicateOf(ws.catalog, g.keeper.id)).toBeNull();
      // a second run reuses items.sha256 and hashes nothing
      const again = await findSourceDuplicates({ catalog: ws.catalog });
      expect(again.stats.sha256Hashed).toBe(0);
      expect(again.groups.map((x) => x.sha256)).toEqual([g.sha256]);
      expect(newContentCount(ws.catalog).duplicates).toBe(1);
    } finally {
      ws.close();
    }
    expect(treeHashes(REAL)).toEqual(before);
  });
});

describe("in a temporary tree", () => {
  function makeTree() {
    const src = tmp("dedupe-src-");
    const rnd = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + ((i * seed) >> 3)) & 255));
    const big = rnd(100_000, 1);
    mkdirSync(join(src, "a"), { recursive: true });
    mkdirSync(join(src, "b"), { recursive: true });
    writeFileSync(join(src, "a/one.jpg"), big);
    linkSync(join(src, "a/one.jpg"), join(src, "b/hardlink.jpg"));
    symlinkSync(join(src, "a/one.jpg"), join(src, "b/symlink.jpg"));
    // same size, same first and last 4 KiB, different middle: only SHA-256 tells them apart
    const twin = Buffer.from(big);
    twin[50_000] = (twin[50_000]! + 1) & 255;
    writeFileSync(join(src, "a/same-edges.jpg"), twin);
    // a real copy, and two empty files
    writeFileSync(join(src, "b/copy of one.jpg"), big);
    writeFileSync(join(src, "a/empty1"), "");
    writeFileSync(join(src, "b/empty2"), "");
    return src;
  }

  it("a hard link and a symlink to the same file are not duplicates; a real copy is; empties only on request", async () => {
    const src = makeTree();
    const before = treeHashes(src);
    const ws = openWorkspace(tmp("dedupe-ws-"), { create: true });
    try {
      await scanInto(ws, src);
      const r = await findSourceDuplicates({ catalog: ws.catalog });
      expect(r.groups).toHaveLength(1);
      const g = r.groups[0]!;
      expect(g.keeper.rel).toBe("a/one.jpg");
      expect(g.reason).toBe("shortest path");
      expect(g.duplicates.map((d) => d.rel)).toEqual(["b/copy of one.jpg"]);
      expect(g.aliases.map((a) => a.rel).sort()).toEqual(["b/hardlink.jpg", "b/symlink.jpg"]);
      expect(r.stats.sha256Hashed).toBe(3); // one.jpg, same-edges.jpg, copy: the aliases are never read
      const withEmpty = await findSourceDuplicates({ catalog: ws.catalog, includeEmpty: true, keepPath: ["b"] });
      expect(withEmpty.groups).toHaveLength(2);
      expect(withEmpty.groups.find((x) => x.size > 0)!.keeper.rel).toBe("b/copy of one.jpg");
      expect(withEmpty.groups.find((x) => x.size > 0)!.reason).toBe("keep-path");
    } finally {
      ws.close();
    }
    expect(treeHashes(src)).toEqual(before);
  });

  it("--quarantine then --restore returns the archive tree to identical hashes; --link is byte-exact and atomic", async () => {
    const root = tmp("dedupe-archive-");
    const ws = openWorkspace(root, { create: true });
    try {
      const none = await findArchiveDuplicates({ catalog: ws.catalog, workspace: root });
      expect(none.note).toMatch(/no converted/);
      const data = Buffer.alloc(300_000, 7);
      data.write("unique-ish header", 0);
      for (const rel of ["converted/2019/IMG_1.jpg", "converted/2019/IMG_1 (1).jpg", "converted/2020/copy/IMG_1.jpg", "originals/2019/IMG_1.jpg"]) {
        mkdirSync(dirname(join(root, rel)), { recursive: true });
        writeFileSync(join(root, rel), data);
      }
      writeFileSync(join(root, "converted/2019/other.jpg"), Buffer.alloc(300_000, 8));
      symlinkSync(join(root, "converted/2019/IMG_1.jpg"), join(root, "converted/2019/link.jpg"));
      const before = treeHashes(join(root, "converted"));
      const beforeOrig = treeHashes(join(root, "originals"));

      const r = await findArchiveDuplicates({ catalog: ws.catalog, workspace: root });
      expect(r.groups).toHaveLength(1);
      expect(r.groups[0]!.duplicates).toHaveLength(3);
      expect(r.bytesSaved).toBe(3 * 300_000);

      const q = quarantineDuplicates(r, { workspace: root, catalog: ws.catalog });
      expect(q.failed).toEqual([]);
      expect(q.done).toHaveLength(3);
      expect(existsSync(join(root, ".archive/quarantine/log.jsonl"))).toBe(true);
      expect((await findArchiveDuplicates({ catalog: ws.catalog, workspace: root })).groups).toHaveLength(0);

      const back = await restoreQuarantine({ workspace: root, catalog: ws.catalog });
      expect(back.failed).toEqual([]);
      expect(back.done).toHaveLength(3);
      expect(treeHashes(join(root, "converted"))).toEqual(before);
      expect(treeHashes(join(root, "originals"))).toEqual(beforeOrig);
      expect((await restoreQuarantine({ workspace: root, catalog: ws.catalog })).done).toHaveLength(0);

      // link: the duplicates become the keeper's inode, bytes unchanged
      const r2 = await findArchiveDuplicates({ catalog: ws.catalog, workspace: root });
      expect(r2.stats.sha256Hashed).toBe(0); // the hash cache knew every file
      const l = linkDuplicates(r2, { workspace: root, catalog: ws.catalog });
      expect(l.failed).toEqual([]);
      expect(l.done).toHaveLength(3);
      const keeper = statSync(join(root, r2.groups[0]!.keeper.rel));
      for (const d of r2.groups[0]!.duplicates) {
        const st = statSync(d.path);
        expect(st.ino).toBe(keeper.ino);
        expect(readFileSync(d.path).equals(data)).toBe(true);
      }
      expect(treeHashes(join(root, "converted"))).toEqual(before);
      expect(readdirSync(join(root, "converted/2019")).some((n) => n.startsWith(".archive-tmp-"))).toBe(false);
      // linked copies are the same file now: no duplicates left
      expect((await findArchiveDuplicates({ catalog: ws.catalog, workspace: root })).groups).toHaveLength(0);
    } finally {
      ws.close();
    }
  });
});

describe("keeper rule", () => {
  const f = (id: number, o: Partial<Parameters<typeof chooseKeeper>[0][number]> = {}) => ({
    id, path: `/lib/${"x".repeat(id)}`, archived: false, inAlbum: false, captureUtcMs: null, present: true, ...o,
  });
  it.each([
    ["album beats capture time", [f(1, { captureUtcMs: 1 }), f(2, { inAlbum: true })], [], 2, "in an album"],
    ["earliest capture beats path", [f(1, { captureUtcMs: 5 }), f(2, { captureUtcMs: 1 })], [], 2, "earliest capture time"],
    ["shortest path", [f(3), f(2)], [], 2, "shortest path"],
    ["first seen", [f(2, { path: "/a" }), f(1, { path: "/b" })], [], 1, "first seen"],
    ["keep-path first", [f(1, { inAlbum: true }), f(2, { path: "/keep/me" })], ["/keep"], 2, "keep-path"],
    ["archived copy stays", [f(1, { inAlbum: true }), f(2, { archived: true, present: false })], ["/x"], 2, "already archived"],
    ["gone and unarchived never kept", [f(1, { present: false }), f(2)], [], 2, "shortest path"],
  ] as const)("%s", (_n, members, keepPath, want, reason) => {
    const r = chooseKeeper(members, keepPath);
    expect(r.ordered[0]!.id).toBe(want);
    expect(r.reason).toBe(reason);
  });
});

describe("BatchPool", () => {
  it("gives the same edge fingerprint as core's edgeFingerprint and the same SHA-256 as sha256File", async () => {
    const d = tmp("dedupe-batch-");
    const files: [string, number][] = [];
    for (const n of [0, 1, 4095, 4096, 4097, 8192, 20_000]) {
      const p = join(d, `f${n}`);
      writeFileSync(p, Buffer.from(Array.from({ length: n }, (_, i) => (i * 13 + n) & 255)));
      files.push([p, n]);
    }
    const b = new BatchPool(2);
    try {
      const edges = await b.runAll("edge", files, 3);
      const shas = await b.runAll("sha", files, 2);
      for (const [i, [p, n]] of files.entries()) {
        expect(edges[i]!.value).toBe(await edgeFingerprint(p, n));
        expect(shas[i]!.value).toBe(await sha256File(p));
        expect(shas[i]!.size).toBe(n);
      }
      const missing = await b.run("sha", [[join(d, "nope"), 1]]);
      expect(missing[0]!.code).toBe("ENOENT");
    } finally {
      await b.close();
    }
  });
});

describe("incremental across exports", () => {
  it("a new export's copy of archived content points at the archived item, even when the old export is gone", async () => {
    const old = tmp("dedupe-old-");
    const fresh = tmp("dedupe-new-");
    const body = Buffer.alloc(40_000, 9);
    writeFileSync(join(old, "IMG_1.bin"), body);
    writeFileSync(join(old, "IMG_2.bin"), Buffer.alloc(40_000, 1));
    const ws = openWorkspace(tmp("dedupe-inc-"), { create: true });
    try {
      await scanInto(ws, old);
      const db = ws.catalog.db;
      // convert archived both items of the old export
      db.exec("UPDATE items SET sha256 = NULL");
      for (const r of db.prepare("SELECT id, rel_path FROM items").all() as { id: number; rel_path: string }[]) {
        db.prepare("INSERT INTO jobs (item_id, action, status, output_rel, updated_at) VALUES (?, 'copy', 'done', ?, 'now')").run(r.id, `originals/${r.rel_path}`);
      }
      // convert records the source SHA-256 it read (the contract); then the old export disappears
      const { createHash: h } = await import("node:crypto");
      db.prepare("UPDATE items SET sha256 = ? WHERE rel_path = 'IMG_1.bin'").run(h("sha256").update(body).digest("hex"));
      rmSync(join(old, "IMG_1.bin"));
      rmSync(join(old, "IMG_2.bin"));
      await scanInto(ws, old); // marks both missing
      // the newer export: the same photo under another name, and a new one
      writeFileSync(join(fresh, "IMG_0001 renamed.bin"), body);
      writeFileSync(join(fresh, "new.bin"), Buffer.alloc(40_000, 2));
      await scanInto(ws, fresh);
      const r = await findSourceDuplicates({ catalog: ws.catalog });
      expect(r.groups).toHaveLength(1);
      const g = r.groups[0]!;
      expect(g.keeper.rel).toBe("IMG_1.bin");
      expect(g.keeper.present).toBe(false);
      expect(g.reason).toBe("already archived");
      expect(g.duplicates.map((d) => d.rel)).toEqual(["IMG_0001 renamed.bin"]);
      expect(r.bytesSaved).toBe(40_000);
      const dupId = g.duplicates[0]!.id;
      expect(duplicateOf(ws.catalog, dupId)).toEqual({ keeperId: g.keeper.id, sha256: g.sha256, keeperOutput: "originals/IMG_1.bin" });
      expect(archivedCopyOf(ws.catalog, dupId)).toEqual({ itemId: g.keeper.id, output: "originals/IMG_1.bin" });
      const n = newContentCount(ws.catalog);
      expect(n).toMatchObject({ files: 2, archived: 0, alreadyArchivedContent: 1, newFiles: 1, newBytes: 40_000 });
    } finally {
      ws.close();
    }
  });
});
