import { link, mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import {
  ArchiveError,
  HashCache,
  HashPool,
  noEvents,
  reasonOf,
  sha256File,
  TEMP_MARKER,
  throttleProgress,
  writeAtomically,
  writeError,
  type Catalog,
  type OnEvent,
} from "@archive/core";
import { bagitLine, sha256sumLine } from "./format.js";
import { BAG_DIR, MANIFEST_NAME, walkArchive, type ArchiveFile } from "./walk.js";

export interface ManifestOptions {
  /** The workspace root. */
  workspace: string;
  catalog: Catalog;
  /** Also write a BagIt 1.0 bag at `<workspace>/bag/` (payload hard-linked under bag/data/). */
  bagit?: boolean;
  /** Worker threads for hashing (default: all cores). */
  threads?: number;
  onEvent?: OnEvent;
  signal?: AbortSignal;
}

export interface HashedFile extends ArchiveFile {
  sha256: string;
}

export interface ManifestResult {
  /** Absolute path of manifest-sha256.txt. */
  manifest: string;
  files: number;
  bytes: number;
  /** Files whose hash came from the cache (unchanged since last hashed). */
  cached: number;
  /** Files read and hashed this run. */
  hashed: number;
  hashedBytes: number;
  /** Files left out of the manifest, with why (unreadable, symbolic links, ...). */
  skipped: { path: string; reason: string }[];
  bag: { dir: string; payloadOxum: string } | null;
  durationMs: number;
}

/**
 * Hash `files` on all cores, reusing the workspace hash cache for unchanged files.
 * Files that cannot be read are returned in `failed`, never aborting the run.
 */
export async function hashFiles(
  files: readonly ArchiveFile[],
  options: { catalog: Catalog; pool: HashPool; useCache: boolean; stage: string; onEvent: OnEvent; signal?: AbortSignal },
): Promise<{ hashed: HashedFile[]; failed: { path: string; reason: string }[]; cached: number; readBytes: number }> {
  const cache = new HashCache(options.catalog);
  const out: (HashedFile | undefined)[] = new Array(files.length);
  const failed: { path: string; reason: string }[] = [];
  const total = files.length;
  let done = 0;
  let cached = 0;
  let readBytes = 0;
  const todo: number[] = [];
  files.forEach((f, i) => {
    const hit = options.useCache ? cache.lookup(f.rel, f) : undefined;
    if (hit) {
      out[i] = { ...f, sha256: hit };
      cached++;
      done++;
    } else todo.push(i);
  });
  options.onEvent({ kind: "stage", stage: options.stage, total });
  options.onEvent({ kind: "progress", stage: options.stage, done, total, bytes: 0 });
  // Keep every worker busy: about twice as many requests in flight as threads.
  const window = options.pool.size * 2;
  let next = 0;
  const pending: Promise<void>[] = [];
  const storeBatch: { rel: string; f: ArchiveFile; sha: string }[] = [];
  const flush = () => {
    if (!storeBatch.length) return;
    const batch = storeBatch.splice(0);
    options.catalog.tx(() => {
      for (const b of batch) cache.store(b.rel, b.f, b.sha);
    });
  };
  const runOne = async (): Promise<void> => {
    while (next < todo.length) {
      if (options.signal?.aborted) throw new ArchiveError("E_ABORTED", "stopped");
      const i = todo[next++]!;
      const f = files[i]!;
      try {
        const r = await options.pool.hash(f.abs);
        // A file that changed while it was read gets its new identity next time, not a stale hash now.
        const st = await stat(f.abs);
        const now: ArchiveFile = { ...f, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
        if (st.size !== r.size) throw new Error(`the file changed while it was read (${r.size} bytes read, now ${st.size})`);
        out[i] = { ...now, sha256: r.sha256 };
        readBytes += r.size;
        storeBatch.push({ rel: f.rel, f: now, sha: r.sha256 });
        if (storeBatch.length >= 500) flush();
      } catch (err) {
        if (err instanceof ArchiveError && err.code === "E_ABORTED") throw err;
        failed.push({ path: f.rel, reason: reasonOf(err) });
        options.onEvent({ kind: "file", stage: options.stage, path: f.rel, status: "failed", reason: reasonOf(err) });
      }
      done++;
      options.onEvent({ kind: "progress", stage: options.stage, done, total, bytes: readBytes, failed: failed.length });
    }
  };
  for (let k = 0; k < Math.min(window, todo.length); k++) pending.push(runOne());
  try {
    await Promise.all(pending);
  } finally {
    flush();
  }
  return { hashed: out.filter((x): x is HashedFile => x !== undefined), failed, cached, readBytes };
}

/**
 * Write `<workspace>/manifest-sha256.txt` (and with `bagit`, the bag at `<workspace>/bag/`):
 * SHA-256 of every archived file, `sha256sum -c` compatible, written atomically.
 */
export async function buildManifest(options: ManifestOptions): Promise<ManifestResult> {
  const started = Date.now();
  const onEvent = throttleProgress(options.onEvent ?? noEvents);
  const root = options.workspace;
  onEvent({ kind: "stage", stage: "walk" });
  const walk = await walkArchive(root, options.signal);
  if (options.signal?.aborted) throw new ArchiveError("E_ABORTED", "stopped");
  const pool = new HashPool(options.threads ?? availableParallelism());
  let result;
  try {
    result = await hashFiles(walk.files, { catalog: options.catalog, pool, useCache: true, stage: "hash", onEvent, ...(options.signal ? { signal: options.signal } : {}) });
  } finally {
    await pool.close();
  }
  const files = result.hashed;
  const manifest = join(root, MANIFEST_NAME);
  const text = files.map((f) => sha256sumLine(f.sha256, f.rel) + "\n").join("");
  await writeAtomically(manifest, (tmp) => writeFile(tmp, text));
  const bytes = files.reduce((n, f) => n + f.size, 0);
  let bag: ManifestResult["bag"] = null;
  if (options.bagit) bag = await writeBag(root, files, onEvent);
  return {
    manifest,
    files: files.length,
    bytes,
    cached: result.cached,
    hashed: files.length - result.cached,
    hashedBytes: result.readBytes,
    skipped: [...walk.skipped, ...result.failed],
    bag,
    durationMs: Date.now() - started,
  };
}

/** The software agent named in bag-info.txt. */
export const BAG_SOFTWARE_AGENT = "archive 0.1.0 (@archive/verify)";

/**
 * A BagIt 1.0 bag at `<root>/bag/`: the payload under bag/data/ is hard links to the archive
 * files (no second copy of the bytes), so the bag always holds exactly the manifest's bytes.
 * Built beside, then swapped in, so a crash never leaves a half bag under the final name.
 */
export async function writeBag(root: string, files: readonly HashedFile[], onEvent: OnEvent): Promise<{ dir: string; payloadOxum: string }> {
  const final = join(root, BAG_DIR);
  const tmp = join(root, `${TEMP_MARKER}bag-${process.pid}`);
  onEvent({ kind: "stage", stage: "bag", total: files.length });
  await rm(tmp, { recursive: true, force: true });
  try {
    const made = new Set<string>();
    let done = 0;
    for (const f of files) {
      const dest = join(tmp, "data", f.rel);
      const dir = dirname(dest);
      if (!made.has(dir)) {
        await mkdir(dir, { recursive: true });
        made.add(dir);
      }
      try {
        await link(f.abs, dest);
      } catch (err) {
        throw new ArchiveError(
          "E_WRITE",
          `cannot hard-link ${f.rel} into the bag (${reasonOf(err)}); the bag needs a file system with hard links`,
          { cause: err },
        );
      }
      if (++done % 200 === 0) onEvent({ kind: "progress", stage: "bag", done, total: files.length });
    }
    const bytes = files.reduce((n, f) => n + f.size, 0);
    const payloadOxum = `${bytes}.${files.length}`;
    const bagitTxt = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
    const bagInfo =
      [
        `Bag-Software-Agent: ${BAG_SOFTWARE_AGENT}`,
        `Bagging-Date: ${new Date().toISOString().slice(0, 10)}`,
        `Payload-Oxum: ${payloadOxum}`,
        `External-Description: iCloud Photos archive; payload files are hard links to the workspace's files`,
      ].join("\n") + "\n";
    const manifest = files.map((f) => bagitLine(f.sha256, `data/${f.rel}`) + "\n").join("");
    const tags: [string, string][] = [
      ["bagit.txt", bagitTxt],
      ["bag-info.txt", bagInfo],
      ["manifest-sha256.txt", manifest],
    ];
    let tagManifest = "";
    for (const [name, content] of tags) {
      await writeFile(join(tmp, name), content);
      tagManifest += bagitLine(await sha256File(join(tmp, name)), name) + "\n";
    }
    await writeFile(join(tmp, "tagmanifest-sha256.txt"), tagManifest);
    onEvent({ kind: "progress", stage: "bag", done: files.length, total: files.length });
    // Swap: old bag aside, new bag in, old bag removed.
    const old = join(root, `${TEMP_MARKER}bag-old-${process.pid}`);
    let hadOld = false;
    try {
      await rename(final, old);
      hadOld = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw writeError(err, final);
    }
    await rename(tmp, final);
    if (hadOld) await rm(old, { recursive: true, force: true });
    return { dir: final, payloadOxum };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    if (err instanceof ArchiveError) throw err;
    throw writeError(err, final);
  }
}

