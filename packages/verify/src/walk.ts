import { lstatSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { isTempName, WORKSPACE_DIR } from "@archive/core";

/** The manifest file at the workspace root. */
export const MANIFEST_NAME = "manifest-sha256.txt";
/** Where `archive manifest --bagit` writes the BagIt bag. */
export const BAG_DIR = "bag";
/**
 * The archive's declared files besides its outputs, by top-level name: the catalog, the report,
 * the bag (hard links to the outputs, checked against the manifest on its own), PAR2 recovery
 * data and the manifest itself. They are never "extra" and never in manifest-sha256.txt.
 */
export const EXCLUDED_TOP = new Set([WORKSPACE_DIR, "report", BAG_DIR, "protection", MANIFEST_NAME]);

/** True for a top-level name of a declared file: EXCLUDED_TOP, or another manifest (manifest-md5.txt, manifest-sha1.txt, ...). */
export function isDeclaredTop(name: string): boolean {
  return EXCLUDED_TOP.has(name) || /^(tag)?manifest-[a-z0-9]+\.txt$/.test(name);
}

/** A regular file of the archive, with the identity the hash cache keys on. */
export interface ArchiveFile {
  /** Path relative to the workspace root, `/`-separated, exactly as the file system spells it. */
  rel: string;
  abs: string;
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

/** What a walk found besides regular files: links, special files and unreadable folders are not archived. */
export interface WalkResult {
  files: ArchiveFile[];
  skipped: { path: string; reason: string }[];
}

/** Compare by UTF-16 code units of the path: deterministic and the same on every run. */
const byRel = (a: { rel: string }, b: { rel: string }) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0);

/**
 * Every regular file in the workspace `root` outside the declared files (see `isDeclaredTop`),
 * sorted, without in-flight temporary files (`.archive-tmp-*`): the archive's outputs, and any
 * foreign file, which the caller tells apart with the job journal.
 */
export async function walkArchive(root: string, signal?: AbortSignal): Promise<WalkResult> {
  const files: ArchiveFile[] = [];
  const skipped: { path: string; reason: string }[] = [];
  const visit = async (relDir: string): Promise<void> => {
    if (signal?.aborted) return;
    let entries;
    try {
      entries = await readdir(relDir ? join(root, relDir) : root, { withFileTypes: true });
    } catch (err) {
      skipped.push({ path: relDir || ".", reason: `cannot read the folder: ${(err as Error).message}` });
      return;
    }
    for (const e of entries) {
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      if (!relDir && isDeclaredTop(e.name)) continue;
      if (isTempName(e.name)) continue;
      if (e.name.includes("\uFFFD")) {
        skipped.push({ path: rel, reason: "the name is not valid UTF-8 and cannot be written to a manifest faithfully" });
        continue;
      }
      if (e.isDirectory()) await visit(rel);
      else if (e.isFile()) {
        const abs = join(root, rel);
        try {
          // synchronous lstat: measured faster than the promise API over 100k files, and nothing else runs during a walk
          const st = lstatSync(abs);
          files.push({ rel, abs, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev });
        } catch (err) {
          skipped.push({ path: rel, reason: (err as Error).message });
        }
      } else if (e.isSymbolicLink()) skipped.push({ path: rel, reason: "symbolic link (not followed, not archived)" });
      else skipped.push({ path: rel, reason: "not a regular file" });
    }
  };
  await visit("");
  files.sort(byRel);
  return { files, skipped };
}
