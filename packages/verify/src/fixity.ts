import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { HashCache, HashPool, reasonOf, type Catalog, type OnEvent } from "@archive/core";
import { parseSha256sumManifest } from "./format.js";
import { checkBag } from "./bagcheck.js";
import { hashFiles } from "./manifest.js";
import { newCheck, record, type CheckResult } from "./report.js";
import { BAG_DIR, MANIFEST_NAME, walkArchive, type ArchiveFile } from "./walk.js";

/**
 * Fixity: every manifest entry exists and has its SHA-256 (re-read in full; with `quick`, size and
 * mtime against the hash cache only); every archived file is in the manifest.
 */
export async function checkFixity(options: {
  workspace: string;
  catalog: Catalog;
  quick: boolean;
  threads?: number;
  onEvent: OnEvent;
  signal?: AbortSignal;
}): Promise<{ check: CheckResult; manifest: Map<string, string> }> {
  const started = Date.now();
  const check = newCheck("fixity");
  const manifestPath = join(options.workspace, MANIFEST_NAME);
  let text: string;
  try {
    text = await readFile(manifestPath, "utf8");
  } catch (err) {
    record(check, MANIFEST_NAME, `cannot read the manifest (${reasonOf(err)}): run \`archive manifest\` first`);
    check.durationMs = Date.now() - started;
    return { check, manifest: new Map() };
  }
  const { entries, malformed } = parseSha256sumManifest(text);
  for (const line of malformed) record(check, MANIFEST_NAME, `line ${line} is not a valid sha256sum line`);
  const manifest = new Map<string, string>();
  for (const e of entries) {
    if (manifest.has(e.rel)) record(check, e.rel, "listed twice in the manifest");
    manifest.set(e.rel, e.sha256);
  }
  const walk = await walkArchive(options.workspace, options.signal);
  const onDisk = new Map(walk.files.map((f) => [f.rel, f]));
  for (const s of walk.skipped) check.skipped.push(s);
  for (const f of walk.files) if (!manifest.has(f.rel)) record(check, f.rel, "present in the archive but not in the manifest");

  const toHash: ArchiveFile[] = [];
  const cache = new HashCache(options.catalog);
  let quickPassed = 0;
  for (const [rel, sha] of manifest) {
    const f = onDisk.get(rel);
    if (!f) {
      // distinguish "gone" from "now a folder or link"
      const exists = await stat(join(options.workspace, rel)).then(() => true, () => false);
      record(check, rel, exists ? "listed in the manifest but no longer a regular file" : "listed in the manifest but missing");
      continue;
    }
    if (options.quick) {
      const cached = cache.lookup(rel, f);
      if (cached === sha) {
        record(check, rel);
        quickPassed++;
        continue;
      }
      if (cached !== undefined) {
        record(check, rel, `SHA-256 recorded for this size and mtime (${cached}) differs from the manifest (${sha})`);
        continue;
      }
    }
    toHash.push(f);
  }
  if (options.quick) {
    check.notes.push(
      `--quick: ${quickPassed} files were checked by size, mtime and inode against the hash cache only (bytes not re-read); ${toHash.length} changed or uncached files were re-hashed`,
    );
  } else check.notes.push("every file was re-read and its SHA-256 compared with the manifest");
  if (toHash.length) {
    const pool = new HashPool(options.threads ?? availableParallelism());
    try {
      const r = await hashFiles(toHash, {
        catalog: options.catalog,
        pool,
        useCache: false,
        stage: "fixity",
        onEvent: options.onEvent,
        ...(options.signal ? { signal: options.signal } : {}),
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
  if (!malformed.length && manifest.size) {
    const bag = await checkBag(options.workspace, manifest);
    for (const b of bag) record(check, b.path, b.reason);
    if (existsSync(join(options.workspace, BAG_DIR, "bagit.txt")))
      check.notes.push(bag.length ? "the BagIt bag at bag/ does not match the archive" : "the BagIt bag at bag/ lists the same files and hashes, and its payload is the archive's own files");
  }
  check.durationMs = Date.now() - started;
  return { check, manifest };
}
