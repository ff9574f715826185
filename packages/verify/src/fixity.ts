import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { HashCache, HashPool, type Catalog, type OnEvent } from "@archive/core";
import { checkBag } from "./bagcheck.js";
import { EXTRA_REASON, journalOutputs, readManifestFile } from "./evidence.js";
import { hashFiles } from "./hashing.js";
import { newCheck, record, type CheckResult } from "./report.js";
import { BAG_DIR, MANIFEST_NAME, walkArchive, type ArchiveFile } from "./walk.js";

/** How fixity runs. */
export interface FixityOptions {
  workspace: string;
  catalog: Catalog;
  quick: boolean;
  /** Write nothing (the hash cache is only read): a read-only archive. */
  readOnly?: boolean;
  threads?: number;
  onEvent: OnEvent;
  signal?: AbortSignal;
}

/** Files on disk the manifest does not list: an output not yet recorded, or a foreign file ("extra"). */
function unlisted(check: CheckResult, catalog: Catalog, files: readonly ArchiveFile[], manifest: ReadonlyMap<string, string>): void {
  const missing = files.filter((f) => !manifest.has(f.rel));
  if (!missing.length) return;
  const outputs = journalOutputs(catalog);
  for (const f of missing) {
    record(check, f.rel, outputs.has(f.rel) ? "present in the archive but not in the manifest: run `archive manifest`" : EXTRA_REASON);
  }
}

/** Manifest entries to re-read; with `quick`, entries the hash cache vouches for pass unread. */
async function toReRead(check: CheckResult, o: FixityOptions, manifest: ReadonlyMap<string, string>, onDisk: ReadonlyMap<string, ArchiveFile>): Promise<ArchiveFile[]> {
  const todo: ArchiveFile[] = [];
  const cache = new HashCache(o.catalog);
  let quickPassed = 0;
  for (const [rel, sha] of manifest) {
    const f = onDisk.get(rel);
    if (!f) {
      // distinguish "gone" from "now a folder or link"
      const exists = await stat(join(o.workspace, rel)).then(() => true, () => false);
      record(check, rel, exists ? "listed in the manifest but no longer a regular file" : "listed in the manifest but missing");
      continue;
    }
    const cached = o.quick ? cache.lookup(rel, f) : undefined;
    if (cached === sha) {
      record(check, rel);
      quickPassed++;
    } else if (cached !== undefined) record(check, rel, `SHA-256 recorded for this size and mtime (${cached}) differs from the manifest (${sha})`);
    else todo.push(f);
  }
  check.notes.push(
    o.quick
      ? `--quick: ${quickPassed} files were checked by size, mtime and inode against the hash cache only (bytes not re-read); ${todo.length} changed or uncached files were re-hashed`
      : "every file was re-read and its SHA-256 compared with the manifest",
  );
  return todo;
}

/** Re-read `files` on all cores and compare with the manifest. */
async function reHash(check: CheckResult, o: FixityOptions, files: ArchiveFile[], manifest: ReadonlyMap<string, string>): Promise<void> {
  if (!files.length) return;
  const pool = new HashPool(o.threads ?? availableParallelism());
  try {
    const r = await hashFiles(files, {
      catalog: o.catalog,
      pool,
      useCache: false,
      store: !o.readOnly,
      stage: "fixity",
      onEvent: o.onEvent,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    for (const h of r.hashed) {
      const want = manifest.get(h.rel)!;
      record(check, h.rel, h.sha256 === want ? undefined : `SHA-256 mismatch: manifest ${want}, file ${h.sha256}`);
    }
    for (const f of r.failed) record(check, f.path, `cannot be read: ${f.reason}`);
  } finally {
    await pool.close();
  }
}

/**
 * Fixity: every manifest entry exists and has its SHA-256 (re-read in full; with `quick`, size and
 * mtime against the hash cache only); every output is in the manifest; any other file in the
 * workspace outside the declared ones (.archive/, report/, bag/, manifests) is "extra".
 */
export async function checkFixity(o: FixityOptions): Promise<{ check: CheckResult; manifest: Map<string, string> }> {
  const started = Date.now();
  const check = newCheck("fixity");
  const found = await readManifestFile(o.workspace);
  if (found.absent || found.error) {
    record(check, MANIFEST_NAME, `cannot read the manifest (${found.error ?? "it does not exist"}): run \`archive manifest\` first`);
    check.durationMs = Date.now() - started;
    return { check, manifest: new Map() };
  }
  const manifest = found.entries;
  for (const line of found.malformed) record(check, MANIFEST_NAME, `line ${line} is not a valid sha256sum line`);
  for (const rel of found.twice) record(check, rel, "listed twice in the manifest");
  const walk = await walkArchive(o.workspace, o.signal);
  for (const s of walk.skipped) check.skipped.push(s);
  unlisted(check, o.catalog, walk.files, manifest);
  const todo = await toReRead(check, o, manifest, new Map(walk.files.map((f) => [f.rel, f])));
  await reHash(check, o, todo, manifest);
  if (!found.malformed.length && manifest.size) {
    const bag = await checkBag(o.workspace, manifest);
    for (const b of bag) record(check, b.path, b.reason);
    if (existsSync(join(o.workspace, BAG_DIR, "bagit.txt")))
      check.notes.push(bag.length ? "the BagIt bag at bag/ does not match the archive" : "the BagIt bag at bag/ lists the same files and hashes, and its payload is the archive's own files");
  }
  check.durationMs = Date.now() - started;
  return { check, manifest };
}
