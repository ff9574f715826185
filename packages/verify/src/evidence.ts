// The manifest is evidence, not a cache (issue 14): once a file is in manifest-sha256.txt, its
// line changes only when the job journal says convert wrote new bytes there. These are the pure
// decisions behind that rule; manifest.ts and fixity.ts do the reading and writing.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { archivedOutputs, reasonOf, type ArchivedOutputRow, type Catalog } from "@archive/core";
import { parseSha256sumManifest } from "./format.js";
import { MANIFEST_NAME, type ArchiveFile } from "./walk.js";

/** A file and why it matters. */
export interface PathReason {
  path: string;
  reason: string;
}

/** manifest-sha256.txt as found: its entries, and what is wrong with it. */
export interface ManifestFile {
  /** workspace-relative path -> SHA-256 (lower-case hex). */
  entries: Map<string, string>;
  /** 1-based numbers of lines that are not sha256sum lines. */
  malformed: number[];
  /** Paths listed more than once. */
  twice: string[];
  /** True when there is no manifest yet. */
  absent: boolean;
  /** Why an existing manifest could not be read. */
  error?: string;
}

/** Read `<workspace>/manifest-sha256.txt` (an absent file is an empty manifest, `absent` set). */
export async function readManifestFile(workspace: string): Promise<ManifestFile> {
  const found: ManifestFile = { entries: new Map(), malformed: [], twice: [], absent: false };
  let text: string;
  try {
    text = await readFile(join(workspace, MANIFEST_NAME), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") found.absent = true;
    else found.error = reasonOf(err);
    return found;
  }
  const { entries, malformed } = parseSha256sumManifest(text);
  found.malformed = malformed;
  for (const e of entries) {
    if (found.entries.has(e.rel)) found.twice.push(e.rel);
    found.entries.set(e.rel, e.sha256);
  }
  return found;
}

/** Every output the job journal records, by workspace-relative path (see catalog `archivedOutputs`). */
export function journalOutputs(catalog: Catalog): Map<string, ArchivedOutputRow> {
  const out = new Map<string, ArchivedOutputRow>();
  for (const r of archivedOutputs(catalog)) out.set(r.rel, r);
  return out;
}

/** One manifest line to be: what it will say, and what the file on disk must be shown to hold. */
export interface PlannedLine {
  rel: string;
  /** The manifest's line before this run (evidence), if any. */
  prev: string | undefined;
  /** What the file must hold: the manifest's hash, or the journal's when convert wrote it since; null = no record yet. */
  expected: string | null;
  file: ArchiveFile | undefined;
}

/** The manifest's next lines and what to report, before any byte is read. */
export interface ManifestPlan {
  lines: PlannedLine[];
  /** Old lines of files no job wrote (a foreign file an older version listed, an output renamed since). */
  dropped: string[];
  /** Files in the workspace that are not the archive's (not in the journal). */
  extra: PathReason[];
}

/** The reason every foreign file carries, in the manifest's result and in verify's fixity. */
export const EXTRA_REASON = "extra: not part of the archive (no job wrote it) and not in the manifest; move it out of the workspace";

/**
 * Decide the manifest's lines: exactly the journalled outputs. A line already in the manifest
 * keeps its hash unless the journal records that convert wrote different bytes there since.
 */
export function planManifest(old: ReadonlyMap<string, string>, outputs: ReadonlyMap<string, ArchivedOutputRow>, onDisk: readonly ArchiveFile[]): ManifestPlan {
  const files = new Map(onDisk.map((f) => [f.rel, f]));
  const lines: PlannedLine[] = [];
  for (const [rel, out] of outputs) {
    const prev = old.get(rel);
    const expected = prev !== undefined && (out.sha256 === null || out.sha256 === prev) ? prev : (out.sha256 ?? null);
    lines.push({ rel, prev, expected, file: files.get(rel) });
  }
  const dropped = [...old.keys()].filter((rel) => !outputs.has(rel));
  const extra = onDisk.filter((f) => !outputs.has(f.rel)).map((f) => ({ path: f.rel, reason: EXTRA_REASON }));
  return { lines, dropped, extra };
}

/** What reading a planned line's file showed: its SHA-256 now, or why it could not be read. */
export type Reading = { sha256: string } | { error: string } | undefined;

/**
 * The line a planned entry gets after its file was read, and the fixity failure, if any. A file
 * whose bytes are not the recorded ones keeps the recorded line: the evidence stays.
 */
export function settleLine(p: PlannedLine, read: Reading): { sha256: string | null; failure?: string } {
  const kept = p.prev ?? p.expected;
  if (!p.file) return { sha256: kept, failure: "listed in the job journal but missing from the archive" };
  if (!read) return { sha256: kept, failure: "not read" };
  if ("error" in read) return { sha256: kept, failure: `cannot be read: ${read.error}` };
  if (p.expected === null) return { sha256: read.sha256 }; // a job journalled without a hash (older version): its first record
  if (read.sha256 === p.expected) return { sha256: p.expected };
  if (p.prev !== undefined && p.expected === p.prev)
    return { sha256: kept, failure: `changed since it was archived: manifest ${p.prev}, file now ${read.sha256}` };
  return { sha256: kept, failure: `not the bytes convert wrote: journal ${p.expected}, file now ${read.sha256}` };
}
