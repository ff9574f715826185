// The summary each command records in `runs.summary`, declared once. Libraries build these, the
// CLI prints them, the report reads them back through `lastRun(cat, "verify")`, typed.
//
// OWNERS (during the issue-12 refactor): each package's owner replaces its `unknown` below with
// the real interface, moved here from the package (and re-exported there if convenient).

/** Summaries by command name. */
export interface RunSummaries {
  scan: unknown;
  plan: unknown;
  convert: unknown;
  manifest: unknown; // ManifestSummary once the CLI call sites pass it (verify helper)
  verify: unknown; // VerifySummary, likewise
  dedupe: unknown; // DedupeSummary, likewise
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
