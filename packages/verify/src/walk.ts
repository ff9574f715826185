import { isTempName, walkTree, WORKSPACE_DIR, type WalkEntry } from "@archive/core";

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

/** Why a walk entry that is not a plain, nameable file is left out. */
function skipReason(e: WalkEntry): string | null {
  if (!e.utf8) return "the name is not valid UTF-8 and cannot be written to a manifest faithfully";
  if (e.kind === "symlink") return "symbolic link (not followed, not archived)";
  if (e.kind === "file") return null;
  return e.reason ?? "not a regular file";
}

/**
 * Every regular file in the workspace `root` outside the declared files (see `isDeclaredTop`),
 * sorted, without in-flight temporary files (`.archive-tmp-*`): the archive's outputs, and any
 * foreign file, which the caller tells apart with the job journal. Walked with core's one walker:
 * links, special files, unreadable folders and names that are not UTF-8 come back in `skipped`.
 */
export async function walkArchive(root: string, signal?: AbortSignal): Promise<WalkResult> {
  const files: ArchiveFile[] = [];
  const skipped: { path: string; reason: string }[] = [];
  const top = (path: string) => !path.includes("/") && isDeclaredTop(path);
  // in-flight temporary folders (a bag being built) are never entered
  const skipDir = (path: string) => top(path) || isTempName(path.slice(path.lastIndexOf("/") + 1));
  for await (const e of walkTree(root, { ...(signal ? { signal } : {}), skipDir })) {
    const name = e.path.slice(e.path.lastIndexOf("/") + 1);
    if (top(e.path) || isTempName(name)) continue;
    const why = skipReason(e);
    if (why !== null) skipped.push({ path: e.path, reason: why });
    else files.push({ rel: e.path, abs: e.abs as string, size: e.stats!.size, mtimeMs: e.stats!.mtimeMs, ino: e.stats!.ino, dev: e.stats!.dev });
  }
  files.sort(byRel);
  return { files, skipped };
}
