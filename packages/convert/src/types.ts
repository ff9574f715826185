import type { Catalog, ConvertCalibration, ExifTool, JobSelection, OnEvent, PathReason, RedoneOutput } from "@archive/core";

export type { RedoneOutput };
import type { Layout } from "./layout.js";

/** Which items to convert (the catalog's selection, less `--redo`'s item list); Live Photo partners, edits and sidecars always follow their item. */
export type ConvertFilter = Omit<JobSelection, "itemIds">;

export interface ConvertOptions {
  /** Workspace root; outputs go under converted/ (and originals/). */
  root: string;
  catalog: Catalog;
  exiftool: ExifTool;
  filter?: ConvertFilter;
  /**
   * Re-convert exactly these outputs (workspace-relative or absolute paths of files convert
   * wrote), replacing them even when damaged; the journal records the hash each replaced.
   * The filter is ignored when given.
   */
  redo?: readonly string[];
  /** Items in flight (default: cores). */
  jobs?: number;
  quality?: number;
  /** Keep an HDR gain map as ISO 21496-1 in the JPEG (default true; false: SDR base image only). */
  hdr?: boolean;
  layout?: Layout;
  keepOriginals?: boolean;
  /** Hard-link already-universal files from the source instead of copying (same filesystem). */
  link?: boolean;
  dryRun?: boolean;
  ffmpeg?: string;
  ffprobe?: string;
  onEvent?: OnEvent;
  signal?: AbortSignal;
}

export type Action = "convert" | "copy" | "link" | "duplicate";

export interface PlannedItem {
  path: string;
  action: Action | "skip" | "fail" | "pending";
  output?: string;
  reason?: string;
}


/** A source whose content changed after it was archived: its old output is kept, the new content archived beside it. */
export interface ChangedSource {
  path: string;
  /** The output holding the content as archived before (kept, byte for byte, with its manifest line). */
  kept: string;
  /** The new content's output (null until written, or when it failed or is a duplicate of another output). */
  output: string | null;
}

/** One output whose organisation changed (or would change, in a dry run). */
export interface OrganisedOutput {
  path: string;
  /** What it carries now: "favorite, hidden, 2 albums", or "nothing". */
  now: string;
}

/** What a run did, per outcome (osxphotos-style lists); the CLI's summary and exit code come from it. */
export interface ConvertResult {
  selected: number;
  converted: number;
  copied: number;
  linked: number;
  duplicates: number;
  alreadyDone: number;
  skipped: PathReason[];
  /** Failures that happened in this run (a source that failed the same way before is in `unresolved`). */
  failed: PathReason[];
  warnings: { path: string; message: string }[];
  /** Items left for later with the reason (videos while ffmpeg/ffprobe are missing). */
  pending: PathReason[];
  /** Archived outputs whose bytes no longer match the journal: fixity failures, never re-hashed into the manifest. */
  fixity: PathReason[];
  /** Outputs replaced by `redo`. */
  redone: RedoneOutput[];
  /** Outputs whose organisation (favorite, hidden, albums) was updated from a newer export (in a dry run: would be). */
  organised: OrganisedOutput[];
  /** Sources changed since they were archived: the old output kept, the new content archived under a new name. */
  changed: ChangedSource[];
  /** Byte-exact originals kept without --keep-originals because the conversion cannot hold everything (multi-image HEIF). */
  originalsKept: (PathReason & { original: string })[];
  /** Files whose content is not what their extension says: their output is named after the content. */
  renamed: (PathReason & { output: string })[];
  /** Problems still open from earlier runs (same source, same reason) and from the walk: to look at, not new. */
  unresolved: PathReason[];
  /** Dry run: what would happen (the first 1,000 items). */
  planned: PlannedItem[];
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  ffmpeg: string | null;
  stoppedEarly: boolean;
  /** Measured speeds for `plan`'s estimate (absent when nothing was converted). */
  calibration?: ConvertCalibration;
}

/** True when the run needs the user's attention (exit code 1): failures, fixity, pending, unresolved. */
export function needsAttention(r: ConvertResult): boolean {
  return r.failed.length + r.fixity.length + r.pending.length + r.unresolved.length > 0;
}

/** A fresh result for a run. */
export function emptyResult(): ConvertResult {
  return {
    selected: 0, converted: 0, copied: 0, linked: 0, duplicates: 0, alreadyDone: 0,
    skipped: [], failed: [], warnings: [], pending: [], fixity: [], redone: [], organised: [], changed: [], originalsKept: [], renamed: [], unresolved: [], planned: [],
    bytesIn: 0, bytesOut: 0, durationMs: 0, ffmpeg: null, stoppedEarly: false,
  };
}
