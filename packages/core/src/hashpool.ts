import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Catalog } from "./catalog/index.js";

// Plain CommonJS run by each worker: read the file in 1 MiB chunks and hash with OpenSSL.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { openSync, readSync, closeSync } = require("node:fs");
const buf = Buffer.allocUnsafe(1024 * 1024);
parentPort.on("message", ({ id, path }) => {
  let fd;
  try {
    fd = openSync(path, "r");
    const h = createHash("sha256");
    let n, size = 0;
    while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) { h.update(buf.subarray(0, n)); size += n; }
    parentPort.postMessage({ id, sha256: h.digest("hex"), size });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err), code: err && err.code });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
});
`;

interface Pending {
  resolve: (r: { sha256: string; size: number }) => void;
  reject: (e: Error) => void;
}

/**
 * SHA-256 of many files on all cores: worker threads each stream files through node:crypto.
 * Create one per command and `close()` it in `finally`.
 */
export class HashPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { id: number; path: string }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(threads = Math.min(4, availableParallelism())) {
    for (let i = 0; i < Math.max(1, threads); i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.on("message", (m: { id: number; sha256?: string; size?: number; error?: string; code?: string }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (p) {
          if (m.error !== undefined) p.reject(Object.assign(new Error(m.error), { code: m.code }));
          else p.resolve({ sha256: m.sha256!, size: m.size! });
        }
        const next = this.queue.shift();
        if (next) w.postMessage(next);
        else {
          this.idle.push(w);
          w.unref(); // an idle pool never keeps the process alive
        }
      });
      w.unref();
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  /** Number of worker threads: callers keep about twice this many requests in flight. */
  get size(): number {
    return this.workers.length;
  }

  /** SHA-256 (hex) and byte count of a file. */
  hash(path: string): Promise<{ sha256: string; size: number }> {
    return new Promise((resolvePromise, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve: resolvePromise, reject });
      const w = this.idle.pop();
      if (w) {
        w.ref();
        w.postMessage({ id, path });
      }
      else this.queue.push({ id, path });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** A file's identity for the hash cache: unchanged size, mtime and inode mean unchanged bytes. */
export interface FileIdentity {
  size: number;
  mtimeMs: number;
  ino: number;
}

/**
 * The workspace's hash cache (`file_hashes`), keyed by path relative to the workspace root.
 * Shared by manifest, verify and dedupe, so no file is hashed twice while it is unchanged.
 */
export class HashCache {
  private readonly get: import("better-sqlite3").Statement;
  private readonly put: import("better-sqlite3").Statement;

  constructor(catalog: Catalog) {
    this.get = catalog.db.prepare("SELECT size, mtime_ms, ino, sha256 FROM file_hashes WHERE rel_path = ?");
    this.put = catalog.db.prepare(
      `INSERT INTO file_hashes (rel_path, size, mtime_ms, ino, sha256, hashed_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (rel_path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, ino = excluded.ino,
       sha256 = excluded.sha256, hashed_at = excluded.hashed_at`,
    );
  }

  /** The cached SHA-256 when the file is unchanged, else undefined. */
  lookup(rel: string, id: FileIdentity): string | undefined {
    const row = this.get.get(rel) as { size: number; mtime_ms: number; ino: number | null; sha256: string } | undefined;
    if (!row) return undefined;
    return row.size === id.size && row.mtime_ms === Math.round(id.mtimeMs) && (row.ino ?? id.ino) === id.ino ? row.sha256 : undefined;
  }

  store(rel: string, id: FileIdentity, sha256: string): void {
    this.put.run(rel, id.size, Math.round(id.mtimeMs), id.ino, sha256, new Date().toISOString());
  }
}
