// The summary each command records in `runs.summary`, declared once. Libraries build these, the
// CLI prints them, the report reads them back through `lastRun(cat, "verify")`, typed.
//
// OWNERS (during the issue-12 refactor): each package's owner replaces its `unknown` below with
// the real interface, moved here from the package (and re-exported there if convenient).

import type { ExportLedger } from "./export.js";
import type { Ledger } from "./ledger.js";
import type { NewContent } from "./schema.js";

/** Summaries by command name. */
export interface RunSummaries {
  scan: ScanSummary;
  plan: PlanRunSummary;
  convert: ConvertSummary;
  manifest: ManifestSummary;
  verify: VerifySummary;
  dedupe: DedupeSummary;
}

/** A file and why it matters, as recorded in a run summary. */
export interface PathReason {
  path: string;
  reason: string;
}

/** `archive manifest` (and the manifest convert writes): what the run record keeps. */
export interface ManifestSummary {
  files: number;
  bytes: number;
  /** Lines taken from the job journal this run (new outputs). */
  added: number;
  /** Files re-read this run to confirm their recorded hash; the rest matched the hash cache. */
  hashed: number;
  cached: number;
  /** Files already in the manifest (or journalled) whose bytes are not what was recorded: fixity failures. */
  failures: PathReason[];
  /** Files in the workspace that are not part of the archive (never put in the manifest). */
  extra: number;
  bag: boolean;
}

/** One check of `archive verify` in a run record. */
export interface VerifyCheckSummary {
  name: "fixity" | "completeness" | "metadata" | "decode";
  checked: number;
  passed: number;
  failed: number;
  skipped: number;
  /** Files the check could not look at (videos without ffmpeg): not passed, not failed. */
  unchecked?: number;
}

/** `archive verify`: what the run record keeps (the report reads it back through `lastRun`). */
export interface VerifySummary {
  ok: boolean;
  quick: boolean;
  complete: boolean;
  checks: VerifyCheckSummary[];
  notConvertedYet: number;
  /** Unreadable items and walk problems accepted with --accept-unreadable (named in the report). */
  acceptedUnreadable: PathReason[];
  /** Every check's failures, capped at 1,000 (a broken disk can fail everything). */
  failures: (PathReason & { check: VerifyCheckSummary["name"] })[];
}

/** `archive dedupe`: groups, files and bytes found in the library and the archive, and what an action did. */
export interface DedupeSummary {
  source: { groups: number; files: number; bytes: number };
  archive: { groups: number; files: number; bytes: number };
  action?: { name: "link" | "quarantine" | "restore"; done: number; skipped: number; failed: number };
}

/** A count of files and their bytes. */
export interface Count {
  files: number;
  bytes: number;
}

/** What `convert` measured on this machine (the plan's estimate uses it instead of the model). */
export interface Calibration {
  photoSeconds: number;
  videoSecondsPerSecond: number;
  heicToJpegBytes?: number;
  hevcToH264Bytes?: number;
  measuredAt: string;
}

/** One suggested batch of `archive plan`: a capture year, a run of months, or a run of days. */
export interface Batch extends Count {
  name: string;
  /** Capture year (null: undated files), and the months when a year is split. */
  year: number | null;
  fromMonth?: number;
  toMonth?: number;
  /** First and last capture day (YYYY-MM-DD, real dates) when the year is split. */
  from?: string;
  to?: string;
  outputBytes: number;
  /** The `archive convert` arguments that select exactly this batch (["--year", "2019"], ["--from", ..., "--to", ...]). */
  convertArgs: string[];
  /** Why the batch is larger than the batch size, when it is (one file, or one day, cannot be split). */
  note?: string;
}

/** A file whose extension promises another format than its content (a PNG named .jpg). */
export interface ExtensionMismatch {
  path: string;
  /** The format by content (magic bytes). */
  format: string;
  /** What the name says (lower-case extension, no dot). */
  extension: string;
}

/** The plan a person reads before converting; `archive plan --json` prints it (with `scan` and `newContent`). */
export interface PlanSummary {
  workspace: string;
  sources: string[];
  totals: Count;
  byYear: Record<string, Count & { photos: number; videos: number }>;
  byKind: Record<"photo" | "video" | "livePhoto" | "raw" | "sidecar" | "other", Count>;
  livePhotoPairs: number;
  bursts: { groups: number; frames: number };
  edits: { sets: number; edited: number; sidecars: number; orphanSidecars: number };
  needsConversion: Count & { photos: number; videos: number; hdrVideos: number };
  duplicates: { groups: number; files: number; bytes: number; hashed: boolean };
  weakCaptureTime: { files: number; bySource: Record<string, number>; examples: string[] };
  albums: { name: string; files: number }[];
  /** Apple export parts and what does not join up (CSV rows without a file, files without a row); null without an export. */
  export: ExportLedger | null;
  /** Items in = archived + duplicates + deleted + unreadable + pending + excluded, 0 unaccounted; CSV rows without a file. */
  ledger: Ledger;
  /** Files that cannot be archived and what the walk could not read (unreadable folders, broken links, vanished files). */
  unreadable: PathReason[];
  /** What the walk skipped on purpose and does not archive: folder links, FIFOs/devices, names that are not UTF-8. */
  skipped: PathReason[];
  /** How many of the unreadable and skipped are not accepted yet (they keep verify and run from saying ready). */
  unresolved: { unresolved: number; accepted: number };
  /** Files whose extension disagrees with their content (the first 1,000), and how many there are. */
  extensionMismatch: { files: number; examples: ExtensionMismatch[] };
  /** Sources whose content changed after it was archived (the next convert keeps the old output and archives the new content beside it). */
  changedSinceArchived?: { files: number; examples: { path: string; output: string }[] };
  missing: number;
  estimate: { outputBytes: number; seconds: number; cores: number; basis: "model" | "calibrated"; calibratedAt?: string };
  destination: { path: string; freeBytes: number | null; fits: boolean | null };
  batchSize: number | null;
  batches: Batch[];
}

/** The scan facts `archive plan` adds to its summary. */
export interface PlanScanFacts {
  read: number;
  unchanged: number;
  missing: number;
  /** .DS_Store, ._* and similar files the walk skipped (counted, never archived). */
  ignored?: number;
  skipped: PathReason[];
  csvProblems: PathReason[];
  durationMs: number;
}

/** `archive plan`: what the run record keeps. */
export type PlanRunSummary = PlanSummary & { scan: PlanScanFacts; newContent: NewContent | null };

/** One scan of one source (the `scan` run record). */
export interface ScanSummary {
  source: string;
  files: number;
  read: number;
  unchanged: number;
  missing: number;
  unreadable: number;
  /** Walk problems that are not unreadable files (folder links, FIFOs/devices, non-UTF-8 names). */
  skipped?: number;
  /** System droppings skipped (.DS_Store, ._*, Thumbs.db, @eaDir). */
  ignored?: number;
}

/** Measured conversion speeds and size ratios (convert writes them, `plan` estimates with them). */
export interface ConvertCalibration {
  /** Seconds per HEIC photo on one core. */
  photoSeconds: number;
  /** Core-seconds of encoding per second of video. */
  videoSecondsPerSecond: number;
  heicToJpegBytes?: number;
  hevcToH264Bytes?: number;
  measuredAt: string;
}

/** An output replaced by `convert --redo`. */
export interface RedoneOutput {
  path: string;
  output: string;
  /** The SHA-256 the journal recorded for the replaced output (null if none). */
  replacedSha256: string | null;
  /** The SHA-256 of the file actually replaced (null if it was missing; absent in run records written before it was kept). */
  foundSha256?: string | null;
  /** When the replaced output had been journalled. */
  replacedAt: string | null;
}

/** `archive convert`: counts per outcome, what --redo replaced, and the calibration it measured. */
export interface ConvertSummary {
  selected: number;
  converted: number;
  copied: number;
  linked: number;
  duplicates: number;
  alreadyDone: number;
  skipped: number;
  failed: number;
  warnings: number;
  pending: number;
  /** Archived outputs whose bytes no longer match the journal (fixity failures). */
  fixity: number;
  /** Outputs whose organisation (favorite, hidden, albums) was updated from a newer export. */
  organised?: number;
  renamed: number;
  unresolved: number;
  /** Sources changed since they were archived: the old output kept, the new content archived beside it. */
  changed?: number;
  /** Byte-exact originals kept because the conversion cannot hold everything (multi-image HEIF). */
  originalsKept?: number;
  /** Outputs replaced by `convert --redo`, with the hash each replaced. */
  redone: RedoneOutput[];
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  ffmpeg: string | null;
  stoppedEarly: boolean;
  calibration?: ConvertCalibration;
}
