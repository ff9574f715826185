import { lstat } from "node:fs/promises";
import { posix } from "node:path";
import {
  ArchiveError,
  extensionFor,
  extensionMismatch,
  insideWorkspace,
  outputNameTaken,
  type Catalog,
  type ConvertItemRow,
  type Format,
} from "@archive/core";
import { candidateName } from "./layout.js";
import type { Action } from "./types.js";

/** What happens to an item before duplicates are considered. */
export type Decision = Exclude<Action, "duplicate"> | "skip" | "fail";

/** Unreadable at scan: fail; not a photo or video: skip; HEIC/HEVC/HDR: convert; the rest is copied (or linked). */
export function decide(it: ConvertItemRow, link: boolean): Decision {
  if (it.error) return "fail";
  if (it.kind === "other") return "skip";
  if (it.needs_conversion) return "convert";
  return link ? "link" : "copy";
}

/**
 * The output's extension: .jpg or .mp4 for a conversion; a copy keeps the source's, unless the
 * content is another format than the extension promises (a PNG named .jpg is archived as .png,
 * and `mismatch` says so for the summary).
 */
export function outputExtension(it: ConvertItemRow, action: Action, srcExt: string): { ext: string; mismatch: string | null } {
  if (action === "convert") return { ext: it.kind === "video" ? ".mp4" : ".jpg", mismatch: null };
  const wrong = extensionMismatch(it.name, it.format as Format);
  const right = wrong ? extensionFor(it.format as Format) : null;
  if (!wrong || !right) return { ext: srcExt, mismatch: null };
  return { ext: `.${right}`, mismatch: `the content is ${it.format.toUpperCase()}, not what .${wrong} promises: archived as .${right}` };
}

/**
 * A free output name in `dir`: not used by another item's job, not an unrelated file on disk.
 * A file under the item's own earlier name is its own (an interrupted run, a redo): it is reused.
 */
export async function chooseName(
  cat: Catalog,
  root: string,
  it: ConvertItemRow,
  name: { dir: string; stem: string; ext: string; previous: string | null },
): Promise<string> {
  for (let attempt = 1; attempt < 10_000; attempt++) {
    const rel = posix.join(name.dir, candidateName(name.stem, name.ext, attempt));
    if (outputNameTaken(cat, rel, it.id)) continue;
    if (name.previous?.toLowerCase() !== rel.toLowerCase()) {
      const exists = await lstat(insideWorkspace(root, rel)).then(() => true, () => false);
      if (exists) continue;
    }
    return rel;
  }
  throw new ArchiveError("E_WRITE", `no free output name for ${it.rel_path}`);
}
