import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { ArchiveError, insideWorkspace, jobByOutput, type Catalog, type JobRow } from "@archive/core";

/** A job `--redo` replaces, with the SHA-256 of the (damaged) file found in its place now. */
export type RedoTarget = JobRow & { foundSha256: string | null };

/** SHA-256 of a file read in 1 MiB chunks, or null when it is not there (--redo names few files). */
function sha256Now(abs: string): string | null {
  let fd: number;
  try {
    fd = openSync(abs, "r");
  } catch {
    return null;
  }
  try {
    const h = createHash("sha256");
    const buf = Buffer.alloc(1 << 20);
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
    return h.digest("hex");
  } finally {
    closeSync(fd);
  }
}

const toRel = (root: string, abs: string) => relative(root, abs).split(sep).join("/");

/** The job of an output named workspace-relative, absolute, or relative to the current folder. */
function jobFor(cat: Catalog, root: string, p: string): JobRow | undefined {
  const candidates = isAbsolute(p) ? [toRel(root, p)] : [p.split(sep).join("/").replace(/^\.\//, ""), toRel(root, resolve(p))];
  for (const rel of candidates) {
    const job = rel.startsWith("../") ? undefined : jobByOutput(cat, rel);
    if (job) return job;
  }
  return undefined;
}

/**
 * `--redo PATH...`: the items whose outputs are to be re-created, with the job each replaces.
 * A path may be absolute or workspace-relative; one that names no output convert wrote is a
 * usage error (nothing is replaced on a guess).
 */
export function redoTargets(cat: Catalog, root: string, paths: readonly string[]): Map<number, RedoTarget> {
  const targets = new Map<number, RedoTarget>();
  for (const p of paths) {
    const job = jobFor(cat, root, p);
    if (!job || job.status !== "done" || !job.output_rel) {
      throw new ArchiveError("E_USAGE", `--redo ${p}: not an output this archive's convert wrote (expected a path such as converted/2019/IMG_0001.jpg)`);
    }
    // what is there now, before it is replaced: the journal only knows the hash it wrote
    targets.set(job.item_id, { ...job, foundSha256: sha256Now(insideWorkspace(root, job.output_rel)) });
  }
  return targets;
}
