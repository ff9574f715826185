// What is at a copy: the files present (with sizes) and the hashes of the files in scope.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArchiveError, HashPool, reasonOf, type OnEvent } from "@archive/core";
import type { Failure } from "../report.js";
import { walkArchive } from "../walk.js";
import { PROTECTION_DIR } from "./layout.js";
import { downloadHashes, listRemote } from "./rclone.js";

/** Files present at a copy and the digests read for the files in scope. */
export interface Gathered {
  /** Every file present (path -> size), whether in scope or not. */
  present: Map<string, number>;
  /** Digest (lower-case hex) of each file in scope that could be read. */
  hashes: Map<string, string>;
  /** Files in scope that could not be read, with why. */
  unreadable: Failure[];
}

/**
 * A folder copy: walked like the workspace, and the files in `wanted` hashed with SHA-256 on all
 * cores (node:crypto in worker threads; the workspace's hash cache is not touched).
 */
export async function gatherFolder(
  root: string,
  wanted: ReadonlySet<string> | null,
  opts: { threads: number; onEvent: OnEvent; signal?: AbortSignal },
): Promise<Gathered> {
  opts.onEvent({ kind: "stage", stage: "list" });
  const walk = await walkArchive(root, opts.signal);
  const files = walk.files.filter((f) => f.rel !== PROTECTION_DIR && !f.rel.startsWith(`${PROTECTION_DIR}/`));
  const present = new Map(files.map((f) => [f.rel, f.size]));
  const todo = files.filter((f) => !wanted || wanted.has(f.rel));
  const unreadable: Failure[] = walk.skipped
    .filter((s) => !s.path.startsWith(`${PROTECTION_DIR}/`))
    .map((s) => ({ path: s.path, reason: s.reason }));
  const hashes = new Map<string, string>();
  const total = todo.length;
  let done = 0;
  let bytes = 0;
  opts.onEvent({ kind: "stage", stage: "hash", total });
  const pool = new HashPool(opts.threads);
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      if (opts.signal?.aborted) throw new ArchiveError("E_ABORTED", "stopped");
      const f = todo[next++]!;
      try {
        const r = await pool.hash(f.abs);
        hashes.set(f.rel, r.sha256);
        bytes += r.size;
      } catch (err) {
        unreadable.push({ path: f.rel, reason: `cannot be read: ${reasonOf(err)}` });
      }
      opts.onEvent({ kind: "progress", stage: "hash", done: ++done, total, bytes, failed: unreadable.length });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(pool.size * 2, todo.length)) }, worker));
  } finally {
    await pool.close();
  }
  return { present, hashes, unreadable };
}

/** How a remote is read: one of its backend's own hash types, or a download through rclone. */
export type RemoteRead = { hashType: "sha256" | "md5" | "sha1" } | { download: true };

/**
 * An rclone remote: listed with `rclone lsjson`; digests from the backend (no download), or
 * downloaded and hashed with `--download`. A sample is named to rclone in a temporary file list.
 */
export async function gatherRemote(
  remote: string,
  read: RemoteRead,
  wanted: ReadonlySet<string> | null,
  opts: { onEvent: OnEvent; signal?: AbortSignal },
): Promise<Gathered> {
  const sig = opts.signal ? { signal: opts.signal } : {};
  const unreadable: Failure[] = [];
  let list: string | undefined;
  let tmp: string | undefined;
  if (wanted) {
    tmp = await mkdtemp(join(tmpdir(), "archive-handoff-"));
    list = join(tmp, "files.txt");
    const names = [...wanted].filter((n) => !/[\n\r]/.test(n));
    for (const n of wanted) if (/[\n\r]/.test(n)) unreadable.push({ path: n, reason: "the name has a line break, which rclone's file lists cannot name" });
    await writeFile(list, names.map((n) => n + "\n").join(""));
  }
  try {
    opts.onEvent({ kind: "stage", stage: "list" });
    const hashType = "hashType" in read ? read.hashType : undefined;
    // one listing gives presence and digests, unless only a sample is hashed
    const all = await listRemote(remote, { ...(wanted ? {} : hashType ? { hashType } : {}), ...sig });
    const present = new Map(all.map((f) => [f.rel, f.size]));
    opts.onEvent({ kind: "stage", stage: "hash", total: wanted?.size ?? all.length });
    const hashes = new Map<string, string>();
    if (hashType) {
      const hashed = wanted ? await listRemote(remote, { hashType, ...(list ? { filesFrom: list } : {}), ...sig }) : all;
      for (const f of hashed) if (f.hash) hashes.set(f.rel, f.hash);
    } else {
      const total = wanted?.size ?? all.length;
      const onFile = (done: number) => opts.onEvent({ kind: "progress", stage: "hash", done, total });
      for (const [k, v] of await downloadHashes(remote, { ...(list ? { filesFrom: list } : {}), onFile, ...sig })) hashes.set(k, v);
    }
    return { present, hashes, unreadable };
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}
