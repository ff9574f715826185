import { link, writeFile } from "node:fs/promises";
import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../../test/support.js";
import { compareSameSize, emptyStats, type Candidate } from "./stages.js";
import { BatchPool } from "./workers.js";

const SIZE = 200 * 1024;
/** A file of SIZE bytes: `fill` everywhere, with `middle` written at the centre. */
const body = (fill: number, middle?: number) => {
  const b = Buffer.alloc(SIZE, fill);
  if (middle !== undefined) b[SIZE / 2] = middle;
  return b;
};

describe("compareSameSize: the staged comparison, called directly on real files", () => {
  it("same bytes make a set; a hard link is an alias; the edge stage drops a different start; SHA-256 separates equal edges", async () => {
    const dir = await tempDir("stages-");
    const files: [string, Buffer][] = [["a", body(1)], ["a-copy", body(1)], ["same-edges", body(1, 9)], ["other-start", body(2)]];
    for (const [n, b] of files) await writeFile(join(dir, n), b);
    await link(join(dir, "a"), join(dir, "a-link"));
    const candidates: Candidate[] = ["a", "a-copy", "same-edges", "other-start", "a-link"].map((n, i) => {
      const st = statSync(join(dir, n));
      return { id: i + 1, path: join(dir, n), rel: n, size: SIZE, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino, sha256: null, present: true };
    });
    const stats = emptyStats();
    const remembered: string[] = [];
    const batch = new BatchPool(2);
    try {
      const sets = await compareSameSize(candidates, { batch, stats, problems: [], onEvent: () => {}, remember: (c) => remembered.push(c.rel) });
      expect(sets).toHaveLength(1);
      expect(sets[0]!.members.map((m) => m.rel)).toEqual(["a", "a-copy"]);
      expect(sets[0]!.aliases.map((m) => m.rel)).toEqual(["a-link"]);
    } finally {
      await batch.close();
    }
    expect(stats).toMatchObject({ sameFile: 1, edgeRead: 4, edgeDropped: 1, sha256Hashed: 3 });
    // every fresh hash is remembered, the unique one too (the next run and the manifest reuse it)
    expect(remembered.sort()).toEqual(["a", "a-copy", "same-edges"]);
  });
});
