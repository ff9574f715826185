import { isAbsolute, relative, resolve, sep } from "node:path";
import { ArchiveError, jobByOutput, type Catalog, type JobRow } from "@archive/core";

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
export function redoTargets(cat: Catalog, root: string, paths: readonly string[]): Map<number, JobRow> {
  const targets = new Map<number, JobRow>();
  for (const p of paths) {
    const job = jobFor(cat, root, p);
    if (!job || job.status !== "done" || !job.output_rel) {
      throw new ArchiveError("E_USAGE", `--redo ${p}: not an output this archive's convert wrote (expected a path such as converted/2019/IMG_0001.jpg)`);
    }
    targets.set(job.item_id, job);
  }
  return targets;
}
