import {
  accessSync, closeSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync,
  realpathSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ArchiveError, writeError } from "./errors.js";
import { Catalog, openCatalog } from "./catalog/index.js";
import { reapChildren, startChildLog, stopChildLog } from "./children.js";

/** Options chosen at plan time, stored in `.archive/config.json`. */
export interface WorkspaceConfig {
  version: 1;
  sources: string[];
  layout: "mirror" | "date";
  quality: number;
  keepOriginals: boolean;
}

export const DEFAULT_CONFIG: WorkspaceConfig = {
  version: 1,
  sources: [],
  layout: "mirror",
  quality: 90,
  keepOriginals: false,
};

/** An open workspace: its root, config and catalog. Close it in `finally`. */
export interface Workspace {
  root: string;
  dir: string;
  config: WorkspaceConfig;
  catalog: Catalog;
  /** Opened without writing anything (see `OpenOptions.readOnly`). */
  readOnly: boolean;
  saveConfig(): void;
  close(): void;
}

export const WORKSPACE_DIR = ".archive";

/** Walk up from `start` to the folder holding `.archive/`, like git finds `.git`. */
export function findWorkspaceRoot(start: string): string | null {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, WORKSPACE_DIR, "catalog.db"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** True when `child` is `parent` or inside it. */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** Resolve a path relative to the workspace root and refuse anything that escapes it. */
export function insideWorkspace(root: string, rel: string): string {
  const abs = resolve(root, rel);
  if (!isInside(root, abs) || rel.includes("\0")) {
    throw new ArchiveError("E_UNSAFE_PATH", `refusing a path outside the workspace: ${JSON.stringify(rel)}`);
  }
  return abs;
}

/** How a command opens its workspace. */
export interface OpenOptions {
  /** Create `.archive/` when absent (only `plan` does, after `checkNewWorkspace`). */
  create?: boolean;
  /** Take the one-process lock (default true; never taken read-only). */
  lock?: boolean;
  /**
   * Open without writing anything: no lock, no config write, the catalog read-only (a copy in
   * the temp folder when SQLite cannot open it in place, as on a read-only disk). "auto" opens
   * read-only exactly when the workspace folder is not writable.
   */
  readOnly?: boolean | "auto";
}

/** True when this process may create files in `dir`. */
export function isWritable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    return false;
  }
  // access() says yes on a read-only mount for root: probe for real.
  const probe = join(dir, `.archive-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, "wx"));
    unlinkSync(probe);
    return true;
  } catch {
    return false;
  }
}

/** Open the workspace at `root` (creating it when `create`), taking the workspace lock. */
export function openWorkspace(root: string, options: OpenOptions = {}): Workspace {
  const abs = resolve(root);
  const dir = join(abs, WORKSPACE_DIR);
  const exists = existsSync(join(dir, "catalog.db"));
  if (!exists && !options.create) {
    throw new ArchiveError(
      "E_NO_WORKSPACE",
      `no archive workspace at ${abs} (run \`archive plan SOURCE\` there first, or pass -C DIR)`,
    );
  }
  const readOnly = exists && (options.readOnly === "auto" ? !isWritable(dir) : options.readOnly === true);
  if (readOnly) return openReadOnly(abs, dir);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw writeError(err, abs);
  }
  const release = options.lock === false ? () => {} : takeLock(dir);
  let catalog: Catalog;
  try {
    catalog = openCatalog(join(dir, "catalog.db"));
  } catch (err) {
    release();
    throw err;
  }
  const ws = makeWorkspace(abs, dir, catalog, release, false);
  if (!existsSync(join(dir, "config.json"))) ws.saveConfig();
  return ws;
}

function readConfig(dir: string): WorkspaceConfig {
  const configPath = join(dir, "config.json");
  return existsSync(configPath)
    ? { ...DEFAULT_CONFIG, ...(JSON.parse(readFileSync(configPath, "utf8")) as Partial<WorkspaceConfig>) }
    : { ...DEFAULT_CONFIG };
}

function makeWorkspace(abs: string, dir: string, catalog: Catalog, release: () => void, readOnly: boolean): Workspace {
  const configPath = join(dir, "config.json");
  const ws: Workspace = {
    root: abs,
    dir,
    config: readConfig(dir),
    catalog,
    readOnly,
    saveConfig() {
      if (readOnly) throw new ArchiveError("E_READ_ONLY", `the workspace ${abs} is open read-only`);
      const tmp = `${configPath}.tmp-${process.pid}`;
      writeFileSync(tmp, JSON.stringify(ws.config, null, 2) + "\n");
      renameSync(tmp, configPath);
    },
    close() {
      try {
        catalog.close();
      } finally {
        release();
      }
    },
  };
  return ws;
}

/**
 * A read-only workspace writes nothing: the catalog opens read-only in place, or, where SQLite
 * cannot (a WAL database on a read-only disk needs its -shm file), as a private copy in the
 * temp folder that is removed on close.
 */
function openReadOnly(abs: string, dir: string): Workspace {
  const file = join(dir, "catalog.db");
  try {
    const catalog = openCatalog(file, { readonly: true });
    catalog.probe();
    return makeWorkspace(abs, dir, catalog, () => {}, true);
  } catch {
    const tmp = mkdtempSync(join(tmpdir(), "archive-ro-"));
    copyFileSync(file, join(tmp, "catalog.db"));
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, join(tmp, "catalog.db-wal"));
    const catalog = openCatalog(join(tmp, "catalog.db"), { readonly: true });
    const cleanup = () => rmSync(tmp, { recursive: true, force: true });
    return makeWorkspace(abs, dir, catalog, cleanup, true);
  }
}

/**
 * Every reason `plan` refuses a destination, checked before the first write anywhere: the
 * workspace holds the archive and nothing else, and the library is never written.
 *  - inside (or equal to) a source library, or a source inside it;
 *  - inside another workspace (nested), or a workspace below it;
 *  - a folder with files in it that is not a workspace (they would become part of the archive).
 */
export function checkNewWorkspace(dest: string, sources: readonly string[]): void {
  const abs = resolve(dest);
  const real = realpathNearest(abs);
  for (const src of sources) {
    const srcReal = realpathNearest(resolve(src));
    if (isInside(srcReal, real)) {
      throw new ArchiveError(
        "E_DEST_INSIDE_SOURCE",
        `the workspace ${abs} is inside the library ${src}; the library is never written to, so choose a destination outside it (-C DEST)`,
      );
    }
    if (isInside(real, srcReal)) {
      throw new ArchiveError(
        "E_SOURCE_INSIDE_DEST",
        `the library ${src} is inside the workspace ${abs}; the workspace holds the archive only, so choose a destination outside the library (-C DEST)`,
      );
    }
  }
  if (existsSync(join(abs, WORKSPACE_DIR, "catalog.db"))) return; // an existing workspace: adopted
  const outer = findWorkspaceRoot(dirname(abs));
  if (outer) {
    throw new ArchiveError(
      "E_NESTED_WORKSPACE",
      `${abs} is inside the archive workspace ${outer}; run archive there (archive -C ${outer} ...), or choose a destination outside it`,
    );
  }
  const entries = existsSync(abs) ? listEntries(abs) : [];
  if (entries.length > 0) {
    const shown = entries.slice(0, 3).join(", ") + (entries.length > 3 ? `, ... (${entries.length} entries)` : "");
    throw new ArchiveError(
      "E_DEST_NOT_EMPTY",
      `${abs} is not empty (${shown}) and is not an archive workspace; the workspace holds the archive and nothing else: pass -C DEST with a new or empty folder (e.g. -C ${join(abs, "archive")})`,
    );
  }
}

function listEntries(dir: string): string[] {
  try {
    if (!statSync(dir).isDirectory()) return [dir];
    return readdirSync(dir);
  } catch (err) {
    throw writeError(err, dir);
  }
}

/** realpath of `p`, or of its nearest existing ancestor joined with the rest. */
function realpathNearest(p: string): string {
  let head = p;
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(head), ...tail.reverse());
    } catch {
      const parent = dirname(head);
      if (parent === head) return p;
      tail.push(basename(head));
      head = parent;
    }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * One archive process per workspace: an exclusive lock file holding our pid.
 * A lock left by a process that no longer exists (a crash, kill -9) is taken over.
 */
export function takeLock(dir: string): () => void {
  const file = join(dir, "lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      const children = join(dir, "children");
      reapChildren(children); // a dead owner's helpers that outlived it (no-op when none)
      startChildLog(children);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        stopChildLog(children);
        process.removeListener("exit", release);
        try {
          if (readFileSync(file, "utf8").trim() === String(process.pid)) unlinkSync(file);
        } catch {
          // already gone
        }
      };
      process.on("exit", release);
      return release;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EROFS" || code === "EACCES" || code === "EPERM" || code === "ENOSPC") throw writeError(err, dirname(dir));
      if (code !== "EEXIST") throw err;
      const pid = Number(readFileSync(file, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
        throw new ArchiveError(
          "E_LOCKED",
          `another archive process (pid ${pid}) is using the workspace ${dirname(dir)}; wait for it to finish`,
        );
      }
      try {
        unlinkSync(file); // stale: its owner is gone
      } catch {
        // raced with another process taking it over; try again
      }
    }
  }
  throw new ArchiveError("E_LOCKED", `could not take the workspace lock at ${file}`);
}

/** Split a relative path into its parts, for layout code that must not trust separators. */
export function pathParts(rel: string): string[] {
  return rel.split(sep).filter((p) => p !== "" && p !== ".");
}
