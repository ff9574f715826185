import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ignoredName, walkTree, type WalkEntry } from "./walk.js";

async function collect(root: string, options = {}): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  for await (const e of walkTree(root, options)) out.push(e);
  return out;
}
const byPath = (es: WalkEntry[]) => Object.fromEntries(es.map((e) => [e.path, e.kind]));

describe("walkTree", () => {
  const root = mkdtempSync(join(tmpdir(), "archive-walk-"));
  mkdirSync(join(root, "b/deep"), { recursive: true });
  mkdirSync(join(root, "a"));
  mkdirSync(join(root, "@eaDir"));
  mkdirSync(join(root, ".archive"));
  writeFileSync(join(root, "a/IMG_1.jpg"), "x");
  writeFileSync(join(root, "b/deep/IMG_2.jpg"), "yy");
  writeFileSync(join(root, "new\nline.jpg"), "nl");
  writeFileSync(join(root, ".DS_Store"), "junk");
  writeFileSync(join(root, "a/._IMG_1.jpg"), "apple double");
  writeFileSync(join(root, ".archive/catalog.db"), "not walked");
  symlinkSync("a/IMG_1.jpg", join(root, "link.jpg"));
  symlinkSync("missing.jpg", join(root, "dangling.jpg"));
  symlinkSync("..", join(root, "b/up"));
  // a name that is not UTF-8 (Latin-1 "café.jpg"): only a Buffer path can name it
  const latin1 = Buffer.concat([Buffer.from(root + "/caf"), Buffer.from([0xe9]), Buffer.from(".jpg")]);
  writeFileSync(latin1, "latin1");
  const haveFifo = spawnSync("mkfifo", [join(root, "pipe")]).status === 0;

  it("yields every file, newline names included, in a stable order", async () => {
    const es = await collect(root);
    const files = es.filter((e) => e.kind === "file").map((e) => e.path);
    expect(files).toEqual(expect.arrayContaining(["a/IMG_1.jpg", "b/deep/IMG_2.jpg", "new\nline.jpg"]));
    expect(es.map((e) => e.path)).toEqual((await collect(root)).map((e) => e.path));
    // folders come in name order: a/ before b/
    expect(es.findIndex((e) => e.path === "a/IMG_1.jpg")).toBeLessThan(es.findIndex((e) => e.path === "b/deep/IMG_2.jpg"));
  });

  it("keeps a non-UTF-8 name: flagged, with its real bytes to open it by", async () => {
    const e = (await collect(root)).find((x) => !x.utf8)!;
    expect(e).toMatchObject({ kind: "file", path: "caf\uFFFD.jpg", utf8: false });
    expect(Buffer.isBuffer(e.abs)).toBe(true);
    expect(await readFile(e.abs)).toEqual(Buffer.from("latin1"));
  });

  it("skips and reports system droppings, never enters the workspace folder", async () => {
    const kinds = byPath(await collect(root));
    expect(kinds[".DS_Store"]).toBe("ignored");
    expect(kinds["a/._IMG_1.jpg"]).toBe("ignored");
    expect(kinds["@eaDir"]).toBe("ignored");
    expect(Object.keys(kinds).some((p) => p.startsWith(".archive"))).toBe(false);
    expect(ignoredName("Thumbs.db", false)).toBe(true);
    expect(ignoredName("IMG_1.jpg", false)).toBe(false);
  });

  it("reports links (never followed) and special files", async () => {
    const kinds = byPath(await collect(root));
    expect(kinds["link.jpg"]).toBe("symlink");
    expect(kinds["dangling.jpg"]).toBe("symlink");
    expect(kinds["b/up"]).toBe("symlink");
    expect(Object.keys(kinds).some((p) => p.startsWith("b/up/"))).toBe(false);
    if (haveFifo) {
      const pipe = (await collect(root)).find((e) => e.path === "pipe")!;
      expect(pipe).toMatchObject({ kind: "special", reason: expect.stringMatching(/FIFO/) });
    }
  });

  it("a file that vanishes between listing and lstat is reported as vanished", async () => {
    const dir = mkdtempSync(join(tmpdir(), "archive-walk-vanish-"));
    for (const n of ["1.jpg", "2.jpg", "3.jpg"]) writeFileSync(join(dir, n), n);
    const seen: WalkEntry[] = [];
    for await (const e of walkTree(dir)) {
      if (!seen.length) for (const n of ["1.jpg", "2.jpg", "3.jpg"]) if (n !== e.path) unlinkSync(join(dir, n));
      seen.push(e);
    }
    expect(seen.map((e) => e.kind).sort()).toEqual(["file", "vanished", "vanished"]);
    expect(seen.find((e) => e.kind === "vanished")?.reason).toMatch(/vanished/);
  });

  it("a missing root is one unreadable entry, not an exception", async () => {
    expect(await collect(join(root, "nope"))).toEqual([expect.objectContaining({ kind: "unreadable", path: ".", dir: true, reason: expect.stringMatching(/ENOENT/) })]);
  });

  it.skipIf(process.getuid?.() === 0)("a folder it may not open is reported, and the walk goes on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "archive-walk-perm-"));
    mkdirSync(join(dir, "locked"));
    writeFileSync(join(dir, "ok.jpg"), "ok");
    chmodSync(join(dir, "locked"), 0o000);
    try {
      const es = await collect(dir);
      expect(byPath(es)).toMatchObject({ "ok.jpg": "file", locked: "unreadable" });
    } finally {
      chmodSync(join(dir, "locked"), 0o755);
    }
  });

  // root opens every folder, so the same check runs as `nobody` (through the built walker)
  const dist = join(__dirname, "../../dist/index.js");
  const asNobody = process.getuid?.() === 0 && spawnSync("setpriv", ["--version"]).status === 0 && existsSync(dist);
  it.skipIf(!asNobody)("as nobody: a chmod 000 folder is one unreadable entry and the walk goes on", () => {
    const dir = mkdtempSync(join(tmpdir(), "archive-walk-nobody-"));
    mkdirSync(join(dir, "locked"));
    writeFileSync(join(dir, "locked", "IMG_1.jpg"), "x");
    writeFileSync(join(dir, "ok.jpg"), "ok");
    chmodSync(dir, 0o755);
    chmodSync(join(dir, "locked"), 0o000);
    const script = `import { walkTree } from ${JSON.stringify(dist)};
      const out = []; for await (const e of walkTree(process.argv[1])) out.push({ kind: e.kind, path: e.path, dir: e.dir, reason: e.reason });
      console.log(JSON.stringify(out));`;
    try {
      const r = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, "--input-type=module", "-e", script, dir], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      const es = JSON.parse(r.stdout) as WalkEntry[];
      expect(es).toEqual(expect.arrayContaining([
        expect.objectContaining({ kind: "file", path: "ok.jpg" }),
        expect.objectContaining({ kind: "unreadable", path: "locked", dir: true, reason: expect.stringMatching(/EACCES/) }),
      ]));
      expect(es).toHaveLength(2);
    } finally {
      chmodSync(join(dir, "locked"), 0o755);
    }
  });

  it("skipDir leaves a folder out; an aborted signal stops the walk", async () => {
    const es = await collect(root, { skipDir: (p: string) => p === "b" });
    expect(es.some((e) => e.path.startsWith("b/"))).toBe(false);
    const ac = new AbortController();
    ac.abort();
    expect(await collect(root, { signal: ac.signal })).toEqual([]);
  });
});
