import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { edgeFingerprint } from "./hash.js";
import { HashCache, HashPool } from "./hashpool.js";
import { openCatalog } from "./catalog/index.js";

const dir = mkdtempSync(join(tmpdir(), "archive-hashpool-"));
// sizes around the worker's 128 KiB read buffer and the 4 KiB edge window, and an empty file
const SIZES = [0, 1, 4095, 4096, 4097, 8192, 8193, 131_071, 131_072, 131_073, 3_000_001];
const files = SIZES.map((size, i) => {
  const path = join(dir, `f${i}.bin`);
  const bytes = randomBytes(size);
  writeFileSync(path, bytes);
  return { path, size, bytes };
});
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
let pool: HashPool;
beforeAll(() => {
  pool = new HashPool(2);
});
afterAll(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("HashPool", () => {
  it("SHA-256 of every file equals node:crypto's over the same bytes", async () => {
    for (const f of files) expect(await pool.hash(f.path)).toEqual({ sha256: sha(f.bytes), size: f.size });
    const all = await pool.hashAll("sha", files.map((f) => [f.path, f.size]), { files: 3, bytes: 10_000 });
    expect(all.map((r) => r.value)).toEqual(files.map((f) => sha(f.bytes)));
    expect(all.map((r) => r.size)).toEqual(SIZES);
  });

  it("edge fingerprints equal edgeFingerprint's, and differ where the edges differ", async () => {
    const nonEmpty = files.filter((f) => f.size > 0);
    const edges = await pool.hashAll("edge", nonEmpty.map((f) => [f.path, f.size]));
    for (const [i, f] of nonEmpty.entries()) expect(edges[i]!.value).toBe(await edgeFingerprint(f.path, f.size));
    expect(new Set(edges.map((e) => e.value)).size).toBe(nonEmpty.length);
  });

  it("a missing or shrunken file is that file's error; the rest of the batch is hashed", async () => {
    const big = join(dir, "shrinks.bin");
    writeFileSync(big, randomBytes(20_000));
    truncateSync(big, 100);
    const r = await pool.batch("edge", [[join(dir, "nope"), 10], [big, 20_000], [files[3]!.path, 4095]]);
    expect(r[0]).toMatchObject({ code: "ENOENT" });
    expect(r[1]).toMatchObject({ code: "ECHANGED" });
    expect(r[2]!.value).toBe(await edgeFingerprint(files[3]!.path, 4095));
    await expect(pool.hash(join(dir, "nope"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("HashCache", () => {
  it("returns a stored hash only while size, mtime and inode are unchanged", () => {
    const cat = openCatalog(join(dir, "catalog.db"));
    try {
      const cache = new HashCache(cat);
      const id = { size: 10, mtimeMs: 1_700_000_000_123.4, ino: 42 };
      expect(cache.lookup("a/b.jpg", id)).toBeUndefined();
      cache.store("a/b.jpg", id, "ab".repeat(32));
      expect(cache.lookup("a/b.jpg", id)).toBe("ab".repeat(32));
      expect(cache.lookup("a/b.jpg", { ...id, size: 11 })).toBeUndefined();
      expect(cache.lookup("a/b.jpg", { ...id, mtimeMs: id.mtimeMs + 5 })).toBeUndefined();
      expect(cache.lookup("a/b.jpg", { ...id, ino: 43 })).toBeUndefined();
      cache.store("a/b.jpg", { ...id, size: 11 }, "cd".repeat(32));
      expect(cache.lookup("a/b.jpg", { ...id, size: 11 })).toBe("cd".repeat(32));
    } finally {
      cat.close();
    }
  });
});
