import { randomBytes } from "node:crypto";
import { readdirSync, rmSync } from "node:fs";
import { mkdir, open, rename, rm, utimes } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { writeError } from "./errors.js";

/** Marker in every temporary file name, so leftovers from a crash are easy to find and remove. */
export const TEMP_MARKER = ".archive-tmp-";

/** A temporary name next to `finalPath`, keeping the extension (encoders pick formats by it). */
export function tempPathFor(finalPath: string): string {
  const name = basename(finalPath);
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 ? name.slice(dot) : "";
  return join(dirname(finalPath), `${TEMP_MARKER}${process.pid}-${randomBytes(4).toString("hex")}${ext}`);
}

/** True for file names this project uses for in-flight output. */
export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_MARKER);
}

/**
 * Produce `finalPath` atomically: `produce(tmp)` writes a temporary file beside it, then it is
 * renamed into place. On any failure the temporary file is removed, so a crash or error never
 * leaves a half-written file under the final name.
 */
export async function writeAtomically<T>(finalPath: string, produce: (tmpPath: string) => Promise<T>): Promise<T> {
  try {
    await mkdir(dirname(finalPath), { recursive: true });
  } catch (err) {
    throw writeError(err, dirname(finalPath));
  }
  const tmp = tempPathFor(finalPath);
  try {
    const result = await produce(tmp);
    await syncFile(tmp);
    await rename(tmp, finalPath);
    await syncFile(dirname(finalPath)).catch(() => {}); // the rename itself, on file systems that allow it
    return result;
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOSPC" || code === "EROFS" || code === "EDQUOT") throw writeError(err, finalPath);
    throw err;
  }
}

/** Flush a file (or folder) to stable storage: a finished name must survive a power cut too. */
async function syncFile(path: string): Promise<void> {
  const fh = await open(path, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Set a file's access and modification time (outputs carry the capture time). */
export async function setMtime(path: string, ms: number): Promise<void> {
  const d = new Date(ms);
  await utimes(path, d, d);
}

/**
 * Remove the entries of `dir` that a process which no longer exists left behind: names that
 * carry their owner's pid (`<word>-<pid>-...`, e.g. a zip member's temp copy, a raw image). A
 * SIGKILL runs no clean-up, and such a copy can be a video of gigabytes. Processes still alive
 * (also another user's: EPERM) keep theirs; what cannot be removed is left. Returns how many went.
 */
export function removeDeadProcessFiles(dir: string, prefix = /^[a-z]+-(\d+)-/): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0; // no folder yet
  }
  let removed = 0;
  for (const name of names) {
    const pid = Number(prefix.exec(name)?.[1] ?? NaN);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
      continue; // alive
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") continue; // alive, someone else's
    }
    try {
      rmSync(join(dir, name), { recursive: true, force: true });
      removed++;
    } catch {
      // not ours to remove
    }
  }
  return removed;
}
