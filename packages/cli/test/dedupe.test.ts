import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runArchive, tempDir, treeChecksum } from "../../../test/support.js";

/** Every file's path, content hash and mtime (directories' own mtimes aside: a move touches them). */
function fileHashes(root: string, rel = ""): string[] {
  return readdirSync(join(root, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) return fileHashes(root, r);
    const p = join(root, r);
    return [`${r} ${createHash("sha256").update(readFileSync(p)).digest("hex")} ${statSync(p).mtimeMs}`];
  });
}

interface Report {
  groups: { sha256: string; keeper: { rel: string }; reason: string; duplicates: { rel: string }[] }[];
  duplicateFiles: number;
  bytesSaved: number;
  note?: string;
}

describe("archive dedupe", () => {
  it("reports library and archive duplicates, quarantines and restores archive copies, never touching the library", async () => {
    const src = await tempDir("dedupe-cli-src-");
    const ws = await tempDir("dedupe-cli-ws-");
    const body = Buffer.alloc(50_000, 3);
    await mkdir(join(src, "2019"), { recursive: true });
    await writeFile(join(src, "2019/IMG_1.bin"), body);
    await writeFile(join(src, "2019/IMG_1 (1).bin"), body);
    await writeFile(join(src, "2019/other.bin"), Buffer.alloc(50_000, 4));
    const before = treeChecksum(src);
    const plan = await runArchive(["plan", src, "-C", ws, "--json"]);
    expect(plan.code, plan.stderr).toBe(0);

    const r1 = await runArchive(["dedupe", "-C", ws, "--json"]);
    expect(r1.code, r1.stderr).toBe(0);
    const j1 = JSON.parse(r1.stdout) as { source: Report; archive: Report; newContent: { newFiles: number; duplicates: number } };
    expect(j1.source.groups).toHaveLength(1);
    expect(j1.source.groups[0]!.keeper.rel).toBe("2019/IMG_1.bin");
    expect(j1.source.groups[0]!.duplicates.map((d) => d.rel)).toEqual(["2019/IMG_1 (1).bin"]);
    expect(j1.source.bytesSaved).toBe(50_000);
    expect(j1.archive.note).toMatch(/no converted/);
    expect(j1.newContent.duplicates).toBe(1);

    // an archive with two copies of one file
    await mkdir(join(ws, "converted/2019"), { recursive: true });
    await writeFile(join(ws, "converted/2019/IMG_1.bin"), body);
    await writeFile(join(ws, "converted/2019/IMG_1 (1).bin"), body);
    const archiveBefore = fileHashes(join(ws, "converted"));
    const text = await runArchive(["dedupe", "-C", ws]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/keep +converted\/2019\/IMG_1\.bin/);
    const q = await runArchive(["dedupe", "-C", ws, "--quarantine"]);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toMatch(/quarantined 1 files/);
    const back = await runArchive(["dedupe", "-C", ws, "--restore"]);
    expect(back.code, back.stderr).toBe(0);
    expect(fileHashes(join(ws, "converted"))).toEqual(archiveBefore);
    expect((await runArchive(["dedupe", "-C", ws, "--link", "--quarantine"])).code).toBe(2);
    expect(treeChecksum(src)).toBe(before);
  });
});
