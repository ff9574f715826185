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
  manifest: unknown;
  verify: unknown;
  dedupe: unknown;
}
