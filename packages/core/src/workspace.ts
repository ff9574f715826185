import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ArchiveError, writeError } from "./errors.js";
import { Catalog, openCatalog } from "./catalog/index.js";

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

/** Open the workspace at `root` (creating it when `create`), taking the workspace lock. */
export function openWorkspace(root: string, options: { create?: boolean; lock?: boolean } = {}): Workspace {
  const abs = resolve(root);
  const dir = join(abs, WORKSPACE_DIR);
  const exists = existsSync(join(dir, "catalog.db"));
  if (!exists && !options.create) {
    throw new ArchiveError(
      "E_NO_WORKSPACE",
      `no archive workspace at ${abs} (run \`archive plan SOURCE\` there first, or pass -C DIR)`,
    );
  }
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
  const configPath = join(dir, "config.json");
  const config: WorkspaceConfig = existsSync(configPath)
    ? { ...DEFAULT_CONFIG, ...(JSON.parse(readFileSync(configPath, "utf8")) as Partial<WorkspaceConfig>) }
    : { ...DEFAULT_CONFIG };
  const ws: Workspace = {
    root: abs,
    dir,
    config,
    catalog,
    saveConfig() {
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
  if (!existsSync(configPath)) ws.saveConfig();
  return ws;
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
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
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
