import { stat } from "node:fs/promises";
import { ArchiveError, HashCache, reasonOf, type Catalog, type HashPool, type OnEvent } from "@archive/core";
import type { ArchiveFile } from "./walk.js";

/** An archive file with the SHA-256 of its bytes as read now. */
export interface HashedFile extends ArchiveFile {
  sha256: string;
}

/** How `hashFiles` runs. */
export interface HashOptions {
  catalog: Catalog;
  pool: HashPool;
  /** Take the hash cache's value for a file whose size, mtime and inode are unchanged. */
  useCache: boolean;
  /** Remember what was read in the hash cache (default true; false on a read-only archive). */
  store?: boolean;
  stage: string;
  onEvent: OnEvent;
  signal?: AbortSignal;
}

/** Flush the hash cache writes in batches: one transaction per 500 files. */
function cacheWriter(catalog: Catalog, enabled: boolean) {
  const cache = new HashCache(catalog);
  const batch: { rel: string; f: ArchiveFile; sha: string }[] = [];
  const flush = () => {
    if (!batch.length) return;
    const b = batch.splice(0);
    catalog.tx(() => {
      for (const x of b) cache.store(x.rel, x.f, x.sha);
    });
  };
  return {
    cache,
    flush,
    add(rel: string, f: ArchiveFile, sha: string) {
      if (!enabled) return;
      batch.push({ rel, f, sha });
      if (batch.length >= 500) flush();
    },
  };
}

/** Read and hash one file; a file that changed while it was read is an error, never a stale hash. */
async function hashOne(pool: HashPool, f: ArchiveFile): Promise<HashedFile> {
  const r = await pool.hash(f.abs);
  const st = await stat(f.abs);
  if (st.size !== r.size) throw new Error(`the file changed while it was read (${r.size} bytes read, now ${st.size})`);
  return { ...f, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, sha256: r.sha256 };
}

/**
 * Hash `files` on all the pool's threads, reusing the workspace hash cache for unchanged files
 * when `useCache`. Files that cannot be read are returned in `failed`, never aborting the run.
 */
export async function hashFiles(
  files: readonly ArchiveFile[],
  options: HashOptions,
): Promise<{ hashed: HashedFile[]; failed: { path: string; reason: string }[]; cached: number; readBytes: number }> {
  const writer = cacheWriter(options.catalog, options.store ?? true);
  const out: (HashedFile | undefined)[] = new Array(files.length);
  const failed: { path: string; reason: string }[] = [];
  const total = files.length;
  let done = 0;
  let readBytes = 0;
  const todo: number[] = [];
  files.forEach((f, i) => {
    const hit = options.useCache ? writer.cache.lookup(f.rel, f) : undefined;
    if (hit) out[i] = { ...f, sha256: hit };
    else todo.push(i);
  });
  const cached = files.length - todo.length;
  done = cached;
  options.onEvent({ kind: "stage", stage: options.stage, total });
  options.onEvent({ kind: "progress", stage: options.stage, done, total, bytes: 0 });
  let next = 0;
  const runOne = async (): Promise<void> => {
    while (next < todo.length) {
      if (options.signal?.aborted) throw new ArchiveError("E_ABORTED", "stopped");
      const i = todo[next++]!;
      const f = files[i]!;
      try {
        const h = await hashOne(options.pool, f);
        out[i] = h;
        readBytes += h.size;
        writer.add(f.rel, h, h.sha256);
      } catch (err) {
        if (err instanceof ArchiveError && err.code === "E_ABORTED") throw err;
        failed.push({ path: f.rel, reason: reasonOf(err) });
        options.onEvent({ kind: "file", stage: options.stage, path: f.rel, status: "failed", reason: reasonOf(err) });
      }
      options.onEvent({ kind: "progress", stage: options.stage, done: ++done, total, bytes: readBytes, failed: failed.length });
    }
  };
  // keep every worker busy: about twice as many requests in flight as threads
  const runners = Array.from({ length: Math.min(options.pool.size * 2, todo.length) }, runOne);
  try {
    await Promise.all(runners);
  } finally {
    writer.flush();
  }
  return { hashed: out.filter((x): x is HashedFile => x !== undefined), failed, cached, readBytes };
}
