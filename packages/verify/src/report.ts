/** The checks `verify` runs, in order. */
export type CheckName = "fixity" | "completeness" | "metadata" | "decode";

/** One problem found, naming the file (relative to the workspace root) and why. */
export interface Failure {
  path: string;
  reason: string;
}

/** Counts and failures of one check. `skipped` lists files the check could not apply to, with why. */
export interface CheckResult {
  name: CheckName;
  checked: number;
  passed: number;
  failed: number;
  failures: Failure[];
  skipped: Failure[];
  /** Files the check applies to but could not check (a tool it needs is missing): not a pass. */
  unchecked: Failure[];
  /** Plain-language notes on how the check ran (e.g. "--quick: size and mtime only"). */
  notes: string[];
  durationMs: number;
}

export function newCheck(name: CheckName): CheckResult {
  return { name, checked: 0, passed: 0, failed: 0, failures: [], skipped: [], unchecked: [], notes: [], durationMs: 0 };
}

/** Record one checked file: passed when `reason` is undefined. */
export function record(c: CheckResult, path: string, reason?: string): void {
  c.checked++;
  if (reason === undefined) c.passed++;
  else {
    c.failed++;
    c.failures.push({ path, reason });
  }
}
