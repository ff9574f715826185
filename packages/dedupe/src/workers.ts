import { HashPool, type HashResult } from "@archive/core";

/** One file's outcome in a batch: a value (xxh128 or SHA-256 hex), or an error. */
export type BatchResult = HashResult;

/**
 * Dedupe's view of core's HashPool (the one worker pool, hash-worker script): "edge" (xxh128 of
 * the first and last `window` bytes, the same value as core's edgeFingerprint) and "sha" (full
 * SHA-256 with node:crypto, plus the file's size/mtime/inode as hashed), files in batches. One
 * pool for both stages: on 2 cores, two pools competing and a stat per file on the main thread
 * measured ~30% slower. Create one per run and `close()` it in `finally`.
 */
export class BatchPool extends HashPool {
  /** One batch: one result per file, in order. */
  run(op: "edge" | "sha", files: [string, number][], window = 4096): Promise<BatchResult[]> {
    return this.batch(op, files, window);
  }

  /**
   * Run `op` over many files in batches of at most `batch` files and (for "sha") about
   * `batchBytes` bytes, all batches in flight at once (files of a few hundred KB no longer cost
   * one message round trip each; files of 8 MiB and more still go singly, to spread them).
   */
  runAll(op: "edge" | "sha", files: [string, number][], batch = 64, window = 4096, batchBytes = 8 * 1024 * 1024): Promise<BatchResult[]> {
    return this.hashAll(op, files, { files: batch, bytes: batchBytes, window });
  }
}
