import type { Dirent, Stats } from "node:fs";
import { lstat, opendir } from "node:fs/promises";
import { join } from "node:path";

/** Names an export or a Mac adds that are never photos. */
const IGNORED_FILES = new Set([".DS_Store", "Thumbs.db", "desktop.ini"]);
const IGNORED_DIRS = new Set([".archive", "@eaDir"]);

/** True for names the walk leaves out (`._*` AppleDouble files, Finder and NAS droppings). */
export function ignoredName(name: string, isDir: boolean): boolean {
  if (isDir) return IGNORED_DIRS.has(name);
  return IGNORED_FILES.has(name) || name.startsWith("._");
}

export interface WalkEntry {
  /** Path relative to the root, "/"-separated, exactly as the file system spells it. */
  path: string;
  dirent: Dirent;
  /** lstat of the entry: a symbolic link is reported as one, never followed. */
  stats: Stats;
}

/**
 * Walk a folder depth-first, streaming entries (one directory handle open at a time, so memory
 * does not grow with the library). Symbolic links are yielded, not followed, so a link loop
 * cannot trap the walk. Every name is taken as is: glob matchers skip names with a newline,
 * which would silently drop a photo. Folders that cannot be read are reported, not fatal.
 */
export async function* walkTree(root: string, onError: (rel: string, err: unknown) => void): AsyncGenerator<WalkEntry> {
  const pending: string[] = [""];
  while (pending.length) {
    const rel = pending.pop()!;
    let dir;
    try {
      dir = await opendir(rel ? join(root, rel) : root);
    } catch (err) {
      onError(rel, err);
      continue;
    }
    const subdirs: string[] = [];
    for await (const dirent of dir) {
      const path = rel ? `${rel}/${dirent.name}` : dirent.name;
      if (dirent.isDirectory()) {
        if (!ignoredName(dirent.name, true)) subdirs.push(path);
        continue;
      }
      if (ignoredName(dirent.name, false)) continue;
      let stats: Stats;
      try {
        stats = await lstat(join(root, path));
      } catch (err) {
        onError(path, err);
        continue;
      }
      yield { path, dirent, stats };
    }
    // sorted, so scans (and their progress) come in a stable order
    pending.push(...subdirs.sort().reverse());
  }
}
