// --quarantine and the job journal: a file the journal records as the archive's own (an item's
// output, an older output kept when the source changed) is never moved, even when its bytes are
// another journalled file's; a copy no job wrote is. The journal is read when the action runs,
// not taken from the report. (The CLI test dedupe-journalled.e2e.test.ts shows the same with
// real JPEGs and their sidecars, through manifest and verify.)
import { createHash } from "node:crypto";
import { existsSync, readdirSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createExifTool, keepOutputAndRecord, openWorkspace, recordJob, startRun, type Catalog } from "@archive/core";
import { scanLibrary } from "@archive/scan";
import { findArchiveDuplicates, journalledFiles, JOURNALLED_REASON, quarantineDuplicates, restoreQuarantine } from "@archive/dedupe";

const temps: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

const OUT = Buffer.alloc(200_000, 9);
OUT.write("the one output's bytes", 0);
const OUT_SHA = createHash("sha256").update(OUT).digest("hex");

function put(root: string, rel: string, data: Buffer): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), data);
}

/** Journal `rel` (holding OUT) as item `rel_path`'s finished output, as convert does after the rename. */
function journal(cat: Catalog, run: number, item: { id: number; size: number; mtime_ms: number }, rel: string): Parameters<typeof recordJob>[1] {
  return { itemId: item.id, action: "convert", status: "done", outputRel: rel, outputSha256: OUT_SHA, outputSize: OUT.length, sourceSize: item.size, sourceMtimeMs: item.mtime_ms, runId: run };
}

describe("--quarantine never moves a journalled file", () => {
  it("keeps outputs and kept outputs with the same bytes in place, quarantines the copy no job wrote, and reads the journal when it acts", async () => {
    const src = tmp("dedupe-journal-src-");
    writeFileSync(join(src, "a.heic"), "source a");
    writeFileSync(join(src, "b.heic"), "source b");
    writeFileSync(join(src, "c.heic"), "source c");
    const root = tmp("dedupe-journal-ws-");
    const ws = openWorkspace(root, { create: true });
    try {
      const exiftool = createExifTool();
      try {
        await scanLibrary({ source: src, catalog: ws.catalog, exiftool });
      } finally {
        await exiftool.end();
      }
      const items = ws.catalog.db.prepare("SELECT id, rel_path, size, mtime_ms FROM items ORDER BY rel_path").all() as { id: number; rel_path: string; size: number; mtime_ms: number }[];
      const [a, b, c] = items as [(typeof items)[0], (typeof items)[0], (typeof items)[0]];
      const run = startRun(ws.catalog, "convert");
      // a: output, then its source changed and the new output holds the same bytes (older output kept)
      put(root, "converted/2019/a.jpg", OUT);
      recordJob(ws.catalog, journal(ws.catalog, run, a, "converted/2019/a.jpg"));
      put(root, "converted/2019/a (1).jpg", OUT);
      keepOutputAndRecord(ws.catalog, a.id, "the source changed after it was archived", journal(ws.catalog, run, a, "converted/2019/a (1).jpg"));
      // b: another item whose output has the same bytes
      put(root, "converted/2019/b.jpg", OUT);
      recordJob(ws.catalog, journal(ws.catalog, run, b, "converted/2019/b.jpg"));
      // a copy no job wrote, preferred by --keep-path (which used to make it the keeper)
      put(root, "converted/z.jpg", OUT);
      // c's output is written but not yet journalled when dedupe looks
      put(root, "converted/2019/c.jpg", OUT);

      const r = await findArchiveDuplicates({ catalog: ws.catalog, workspace: root, keepPath: ["converted/z.jpg"] });
      expect(r.groups).toHaveLength(1);
      const g = r.groups[0]!;
      expect(g.keeper.archived).toBe(true);
      expect(["converted/2019/a.jpg", "converted/2019/a (1).jpg", "converted/2019/b.jpg"]).toContain(g.keeper.rel);
      expect(g.duplicates.filter((d) => !d.archived).map((d) => d.rel).sort()).toEqual(["converted/2019/c.jpg", "converted/z.jpg"]);

      // convert journals c's output after the report was made: the action must see it
      recordJob(ws.catalog, journal(ws.catalog, run, c, "converted/2019/c.jpg"));
      const q = quarantineDuplicates(r, { workspace: root, catalog: ws.catalog });
      expect(q.failed).toEqual([]);
      expect(q.done.map((d) => d.path)).toEqual(["converted/z.jpg"]);
      expect(q.skipped.map((s) => s.path).sort()).toEqual(g.duplicates.map((d) => d.rel).filter((rel) => rel !== "converted/z.jpg").sort());
      for (const s of q.skipped) expect(s.reason).toBe(JOURNALLED_REASON);
      const journalled = [...journalledFiles(ws.catalog)].sort();
      expect(journalled).toEqual(["converted/2019/a (1).jpg", "converted/2019/a.jpg", "converted/2019/b.jpg", "converted/2019/c.jpg"]);
      for (const rel of journalled) expect(readFileSync(join(root, rel)).equals(OUT)).toBe(true);
      expect(existsSync(join(root, "converted/z.jpg"))).toBe(false);

      const before = statSync(join(root, ".archive/quarantine/converted/z.jpg"));
      const back = await restoreQuarantine({ workspace: root, catalog: ws.catalog });
      expect(back.done.map((d) => d.path)).toEqual(["converted/z.jpg"]);
      const after = statSync(join(root, "converted/z.jpg"));
      expect([after.ino, after.mtimeMs, after.size]).toEqual([before.ino, before.mtimeMs, before.size]);
      expect(readFileSync(join(root, "converted/z.jpg")).equals(OUT)).toBe(true);

      // quarantined again into the same place, restored again, three times (QA: the second restore
      // said "restored 0 files" and left the copy in quarantine)
      for (let round = 0; round < 3; round++) {
        const again = await findArchiveDuplicates({ catalog: ws.catalog, workspace: root, keepPath: ["converted/z.jpg"] });
        expect(quarantineDuplicates(again, { workspace: root, catalog: ws.catalog }).done.map((d) => d.path)).toEqual(["converted/z.jpg"]);
        expect(existsSync(join(root, "converted/z.jpg"))).toBe(false);
        const undo = await restoreQuarantine({ workspace: root, catalog: ws.catalog });
        expect(undo.done.map((d) => d.path), `round ${round}`).toEqual(["converted/z.jpg"]);
        expect(readFileSync(join(root, "converted/z.jpg")).equals(OUT)).toBe(true);
        expect(readdirSync(join(root, ".archive/quarantine/converted"))).toEqual([]);
      }
    } finally {
      ws.close();
    }
  });
});
