// The one walker. One set of rules for every package that lists files: nothing is dropped
// without a word. Regular files are yielded; everything else the walk meets (links, FIFOs and
// devices, names the OS droppings, folders it cannot open, files that vanish mid-walk) is
// yielded too, as data, so each caller decides and reports.
import { lstatSync, type Dirent, type Stats } from "node:fs";
import { opendir } from "node:fs/promises";
import { reasonOf } from "../errors.js";

/** Names an export or a Mac adds that are never photos (skipped, and counted). */
const IGNORED_FILES = new Set([".DS_Store", "Thumbs.db", "desktop.ini"]);
/** Folders never entered: the workspace's own folder and Synology's thumbnail folders. */
const IGNORED_DIRS = new Set([".archive", "@eaDir"]);

/** True for names the walk skips (`._*` AppleDouble files, Finder and NAS droppings). */
export function ignoredName(name: string, isDir: boolean): boolean {
  if (isDir) return IGNORED_DIRS.has(name);
  return IGNORED_FILES.has(name) || name.startsWith("._");
}

/** What an entry is to the walk. */
export type WalkKind =
  /** a regular file: `stats` is its lstat */
  | "file"
  /** a symbolic link (never followed by the walk; `stats` is the link's lstat) */
  | "symlink"
  /** a FIFO, socket or device: never read (reading a FIFO blocks forever) */
  | "special"
  /** a `.DS_Store`, `._*` or similar name, or an `@eaDir` folder: skipped, counted */
  | "ignored"
  /** a folder that cannot be opened or listed, or an entry whose lstat failed (not ENOENT) */
  | "unreadable"
  /** an entry listed by its folder but gone by the time it was looked at */
  | "vanished";

/** One thing the walk met. */
export interface WalkEntry {
  kind: WalkKind;
  /**
   * Path relative to the root, "/"-separated, exactly as the file system spells it (a newline is
   * kept). A name that is not valid UTF-8 shows U+FFFD here; `utf8` is then false and `abs`
   * holds the real bytes.
   */
  path: string;
  /** What to pass to `fs` calls: the path as a string, or its raw bytes when a name is not valid UTF-8. */
  abs: string | Buffer;
  /** False when some name in the path is not valid UTF-8 (so `path` cannot name the file). */
  utf8: boolean;
  /** True for a folder (an unreadable or ignored folder). */
  dir: boolean;
  /** lstat, for "file", "symlink" and "special". */
  stats?: Stats;
  /** Why the entry is not a plain file (for every kind but "file" and "symlink"). */
  reason?: string;
}

export interface WalkOptions {
  /** Stop early (between entries). */
  signal?: AbortSignal;
  /** Folders (relative paths) not to enter at all, e.g. the workspace's outputs; they are not reported. */
  skipDir?: (path: string) => boolean;
}

interface Folder {
  path: string;
  abs: string | Buffer;
  utf8: boolean;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** A raw name as text, and whether it was valid UTF-8. */
function nameOf(raw: Buffer): { name: string; utf8: boolean } {
  try {
    return { name: decoder.decode(raw), utf8: true };
  } catch {
    return { name: raw.toString("utf8"), utf8: false };
  }
}

const SEP = Buffer.from("/");
function child(parent: Folder, raw: Buffer): Folder {
  const { name, utf8 } = nameOf(raw);
  const path = parent.path ? `${parent.path}/${name}` : name;
  const ok = parent.utf8 && utf8;
  if (ok) return { path, abs: `${parent.abs as string}/${name}`, utf8: true };
  const base = typeof parent.abs === "string" ? Buffer.from(parent.abs) : parent.abs;
  return { path, abs: Buffer.concat([base, SEP, raw]), utf8: false };
}

// (a Buffer path in an error message would print as bytes; reasonOf keeps the code and message)
const errorText = reasonOf;

/** What an lstat says an entry is, as a walk entry. */
function classify(f: Folder, st: Stats): WalkEntry {
  const base = { path: f.path, abs: f.abs, utf8: f.utf8, dir: false, stats: st };
  if (st.isFile()) return { kind: "file", ...base };
  if (st.isSymbolicLink()) return { kind: "symlink", ...base };
  const what = st.isFIFO() ? "a FIFO (named pipe)" : st.isSocket() ? "a socket" : st.isCharacterDevice() ? "a character device" : "a block device";
  return { kind: "special", ...base, reason: `${what}, not a regular file: never read` };
}

/** One entry of a folder: recurse into folders, classify the rest. Folders to visit go to `subdirs`. */
function visitEntry(parent: Folder, d: Dirent<Buffer>, subdirs: Folder[], skipDir?: (p: string) => boolean): WalkEntry | null {
  const f = child(parent, d.name);
  const plain = f.path.slice(f.path.lastIndexOf("/") + 1);
  if (d.isDirectory()) {
    if (ignoredName(plain, true)) {
      return plain === ".archive" ? null : { kind: "ignored", path: f.path, abs: f.abs, utf8: f.utf8, dir: true, reason: "system folder (not entered)" };
    }
    if (!skipDir?.(f.path)) subdirs.push(f);
    return null;
  }
  if (ignoredName(plain, false)) return { kind: "ignored", path: f.path, abs: f.abs, utf8: f.utf8, dir: false, reason: "system file (not a photo)" };
  try {
    // synchronous lstat: 20,000 files walked in 140 ms here against 610-710 ms with the promise
    // API (each call is a few microseconds; the thread-pool round trip costs more than the work)
    return classify(f, lstatSync(f.abs));
  } catch (err) {
    const vanished = (err as NodeJS.ErrnoException).code === "ENOENT";
    return { kind: vanished ? "vanished" : "unreadable", path: f.path, abs: f.abs, utf8: f.utf8, dir: false, reason: vanished ? "vanished during the walk" : `cannot read: ${errorText(err)}` };
  }
}

/** Open a folder for listing, or the entry that says why it cannot be listed. */
async function openFolder(folder: Folder): Promise<{ dir: AsyncIterable<Dirent<Buffer>> } | { problem: WalkEntry }> {
  try {
    return { dir: (await opendir(folder.abs, { encoding: "buffer" } as never)) as unknown as AsyncIterable<Dirent<Buffer>> };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const kind = code === "ENOENT" && folder.path ? "vanished" : "unreadable";
    const reason = kind === "vanished" ? "folder vanished during the walk" : `cannot read the folder: ${errorText(err)}`;
    return { problem: { kind, path: folder.path || ".", abs: folder.abs, utf8: folder.utf8, dir: true, reason } };
  }
}

/**
 * Walk a folder depth-first, streaming one directory at a time (one handle open; memory does not
 * grow with the library). Folders are sorted by name, so runs come in a stable order. Symbolic
 * links are yielded, never followed (a link loop cannot trap the walk). Names are taken as raw
 * bytes: a newline is kept, and a name that is not UTF-8 is yielded with its bytes in `abs`.
 * (One generator, no nested `yield*`: each level of delegation costs a promise per entry.)
 */
export async function* walkTree(root: string, options: WalkOptions = {}): AsyncGenerator<WalkEntry> {
  const pending: Folder[] = [{ path: "", abs: root, utf8: true }];
  while (pending.length) {
    if (options.signal?.aborted) return;
    const folder = pending.pop()!;
    const opened = await openFolder(folder);
    if ("problem" in opened) {
      yield opened.problem;
      continue;
    }
    const subdirs: Folder[] = [];
    try {
      for await (const d of opened.dir) {
        if (options.signal?.aborted) return;
        const e = visitEntry(folder, d, subdirs, options.skipDir);
        if (e) yield e;
      }
    } catch (err) {
      yield { kind: "unreadable", path: folder.path || ".", abs: folder.abs, utf8: folder.utf8, dir: true, reason: `cannot list the folder completely: ${errorText(err)}` };
    }
    subdirs.sort((a, b) => (a.path < b.path ? 1 : a.path > b.path ? -1 : 0));
    pending.push(...subdirs);
  }
}

/** Counts of a walk's entries by kind (for a summary line). */
export type WalkCounts = Record<WalkKind, number>;

/** A zeroed `WalkCounts`. */
export function emptyWalkCounts(): WalkCounts {
  return { file: 0, symlink: 0, special: 0, ignored: 0, unreadable: 0, vanished: 0 };
}
