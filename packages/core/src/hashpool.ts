import { availableParallelism } from "node:os";
import { cachedFileHash, storeFileHash, type Catalog, type FileIdentity } from "./catalog/index.js";
import { WorkerPool, workerScript } from "./pool.js";

/** A batch for the hash worker: "sha" = full SHA-256 (node:crypto); "edge" = xxh128 of the first and last `window` bytes; "member": see MemberRange. */
export interface HashTask {
  op: "edge" | "sha" | "member";
  /** [absolute path, size as catalogued] */
  files: [string, number][];
  window: number;
  /** For "member": the zip members to read, one result each. */
  members?: MemberRange[];
}

/**
 * A zip member's data inside a file (issue 10): read, inflated when deflated, CRC-32 and size
 * checked and SHA-256 hashed on a worker thread, so the scan's thread only reads metadata.
 */
export interface MemberRange {
  file: string;
  /** Offset of the member's data in `file`. */
  start: number;
  compressedSize: number;
  size: number;
  crc32: number;
  deflated: boolean;
  /** Send the (inflated) bytes back, moved, not copied. */
  keep: boolean;
  /** The member's name, for the reason a damaged one gives. */
  name: string;
}

/** One file's outcome in a batch: a value (xxh128 or SHA-256 hex), or an error. */
export interface HashResult {
  value?: string;
  /** For "sha": the file as it was when hashed (the caller checks it still matches the catalog). */
  size?: number;
  mtimeMs?: number;
  ino?: number;
  error?: string;
  code?: string;
  /** For "member" with `keep`: the member's bytes. */
  bytes?: Uint8Array;
}

/** How `hashAll` cuts a list into messages. */
export interface BatchShape {
  /** At most this many files per message (default 64). */
  files?: number;
  /** For "sha", close a batch at about this many bytes, so big files spread over threads (default 8 MiB). */
  bytes?: number;
  /** Edge window in bytes (default 4096). */
  window?: number;
}

/**
 * SHA-256 and xxh128 edge fingerprints of files on worker threads (the one WorkerPool, with the
 * hash-worker script): files go in batches, read synchronously in the worker. Create one per
 * command and `close()` it in `finally`.
 */
export class HashPool {
  private readonly pool: WorkerPool<HashTask, HashResult[]>;

  constructor(threads = Math.min(4, availableParallelism())) {
    this.pool = new WorkerPool<HashTask, HashResult[]>(workerScript("hash-worker"), threads);
    // started at once: every caller hashes right after creating the pool, and a thread's start
    // (~0.2-0.4 s under load here) then overlaps the caller's catalog reads
    this.pool.start();
  }

  /** Number of worker threads: callers keep about twice this many requests in flight. */
  get size(): number {
    return this.pool.size;
  }

  /** SHA-256 (hex) and byte count of a file; rejects with the file's error (its `code` kept). */
  async hash(path: string, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
    const [r] = await this.batch("sha", [[path, 0]], 4096, signal);
    if (!r || r.error !== undefined || r.value === undefined) {
      throw Object.assign(new Error(r?.error ?? "no result"), r?.code ? { code: r.code } : {});
    }
    return { sha256: r.value, size: r.size ?? 0 };
  }

  /** One message's worth of files: one result per file, in order. */
  batch(op: "edge" | "sha", files: [string, number][], window = 4096, signal?: AbortSignal): Promise<HashResult[]> {
    return this.pool.run({ op, files, window }, signal ? { signal } : {});
  }

  private pendingMembers: { range: MemberRange; resolve: (r: { sha256: string; bytes: Buffer | null }) => void; reject: (e: Error) => void }[] = [];

  /**
   * A zip member's SHA-256, every byte CRC-checked, and its bytes when `keep`; rejects with the
   * reason a damaged member gives, or a WorkerError. The calls of one tick go in messages of up
   * to 8 members / 8 MiB: one message a member left the worker idle while this thread was busy
   * between a reply and the next job (measured: 40% idle).
   */
  member(range: MemberRange): Promise<{ sha256: string; bytes: Buffer | null }> {
    return new Promise((resolve, reject) => {
      this.pendingMembers.push({ range, resolve, reject });
      if (this.pendingMembers.length === 1) setImmediate(() => this.sendMembers());
    });
  }

  private sendMembers(): void {
    const all = this.pendingMembers.splice(0);
    for (let i = 0; i < all.length; ) {
      let j = i;
      for (let bytes = 0; j < all.length && j - i < 8 && bytes < 8 * 1024 * 1024; j++) bytes += all[j]!.range.compressedSize;
      const batch = all.slice(i, j);
      i = j;
      this.pool.run({ op: "member", files: [], window: 0, members: batch.map((b) => b.range) }).then(
        (results) =>
          batch.forEach((b, k) => {
            const r = results[k];
            if (!r || r.error !== undefined || r.value === undefined) b.reject(Object.assign(new Error(r?.error ?? "no result"), r?.code ? { code: r.code } : {}));
            else b.resolve({ sha256: r.value, bytes: r.bytes ? Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength) : null });
          }),
        (err: Error) => batch.forEach((b) => b.reject(err)),
      );
    }
  }

  /** Many files in batches (see BatchShape), all batches in flight at once; results in input order. */
  async hashAll(op: "edge" | "sha", files: [string, number][], shape: BatchShape = {}, signal?: AbortSignal): Promise<HashResult[]> {
    const maxFiles = shape.files ?? 64;
    const maxBytes = shape.bytes ?? 8 * 1024 * 1024;
    const parts: Promise<HashResult[]>[] = [];
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < files.length; i++) {
      bytes += op === "sha" ? files[i]![1] : 0;
      if (i + 1 - start >= maxFiles || bytes >= maxBytes || i === files.length - 1) {
        parts.push(this.batch(op, files.slice(start, i + 1), shape.window ?? 4096, signal));
        start = i + 1;
        bytes = 0;
      }
    }
    return (await Promise.all(parts)).flat();
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/**
 * The workspace's hash cache (`file_hashes`, see catalog/hashes.ts), keyed by path relative to
 * the workspace root. Shared by manifest, verify and dedupe, so no file is hashed twice while it
 * is unchanged.
 */
export class HashCache {
  constructor(private readonly catalog: Catalog) {}

  /** The cached SHA-256 when the file is unchanged, else undefined. */
  lookup(rel: string, id: FileIdentity): string | undefined {
    return cachedFileHash(this.catalog, rel, id);
  }

  store(rel: string, id: FileIdentity, sha256: string): void {
    storeFileHash(this.catalog, rel, id, sha256);
  }
}
