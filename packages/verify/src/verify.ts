import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { noEvents, resolveTool, throttleProgress, type Catalog, type ExifTool, type OnEvent, type VerifySummary } from "@archive/core";
import { checkCompleteness } from "./completeness.js";
import { checkDecode } from "./decode.js";
import { checkFixity } from "./fixity.js";
import { checkMetadata } from "./metadata.js";
import { newCheck, type CheckName, type CheckResult } from "./report.js";

export interface VerifyOptions {
  /** The workspace root. */
  workspace: string;
  catalog: Catalog;
  /** Size + mtime instead of re-reading bytes; ffprobe packet counts instead of full video decodes. */
  quick?: boolean;
  /** Fail when some source items have not been converted yet. */
  complete?: boolean;
  /** The caller's ExifTool for metadata parity; without it that check is skipped. */
  exiftool?: ExifTool;
  ffmpeg?: string;
  ffprobe?: string;
  /** Parallel checks (default: the number of cores). */
  concurrency?: number;
  /** Only these checks (default: all). */
  checks?: readonly CheckName[];
  /** The archive is read-only: write nothing (the hash cache is only read). */
  readOnly?: boolean;
  onEvent?: OnEvent;
  signal?: AbortSignal;
}

export interface VerifyReport {
  ok: boolean;
  quick: boolean;
  complete: boolean;
  workspace: string;
  checks: CheckResult[];
  /** Source items with no job yet ("not converted yet"): listed; failures only with `complete`. */
  notConvertedYet: string[];
  startedAt: string;
  durationMs: number;
}

/**
 * Prove the archive: fixity against manifest-sha256.txt, completeness against the catalog,
 * metadata parity source -> output, and that every image and video decodes. Returns a report;
 * `ok` is true only when every check passed.
 */
export async function verify(options: VerifyOptions): Promise<VerifyReport> {
  const started = Date.now();
  const onEvent = throttleProgress(options.onEvent ?? noEvents);
  const quick = options.quick ?? false;
  const complete = options.complete ?? false;
  const concurrency = options.concurrency ?? availableParallelism();
  const want = new Set<CheckName>(options.checks ?? ["fixity", "completeness", "metadata", "decode"]);
  const sig = options.signal ? { signal: options.signal } : {};
  const checks: CheckResult[] = [];

  const fixity = await checkFixity({ workspace: options.workspace, catalog: options.catalog, quick, readOnly: options.readOnly ?? false, onEvent, ...sig });
  if (want.has("fixity")) checks.push(fixity.check);
  const { check: completeness, outcomes, pending } = checkCompleteness({
    workspace: options.workspace,
    catalog: options.catalog,
    complete,
    manifest: fixity.manifest,
  });
  if (want.has("completeness")) checks.push(completeness);

  const tasks: Promise<CheckResult>[] = [];
  if (want.has("metadata")) {
    if (options.exiftool) {
      tasks.push(
        checkMetadata({
          catalog: options.catalog,
          workspace: options.workspace,
          exiftool: options.exiftool,
          outcomes,
          concurrency: Math.max(1, Math.min(concurrency, 4)),
          onEvent,
          ...sig,
        }),
      );
    } else {
      const c = newCheck("metadata");
      c.notes.push("skipped: no exiftool given");
      tasks.push(Promise.resolve(c));
    }
  }
  if (want.has("decode")) {
    const files = [...fixity.manifest.keys()].map((rel) => ({ rel, abs: join(options.workspace, rel) })).filter((f) => existsSync(f.abs));
    tasks.push(
      checkDecode({
        files,
        ffmpeg: resolveTool("ffmpeg", options.ffmpeg).path,
        ffprobe: resolveTool("ffprobe", options.ffprobe).path,
        quick,
        concurrency,
        onEvent,
        ...sig,
      }),
    );
  }
  checks.push(...(await Promise.all(tasks)));
  return {
    ok: checks.every((c) => c.failed === 0),
    quick,
    complete,
    workspace: options.workspace,
    checks,
    notConvertedYet: pending,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
  };
}

/** What the run record keeps of a verify run (the report reads it back typed through `lastRun`). */
export function verifySummary(r: VerifyReport): VerifySummary {
  return {
    ok: r.ok,
    quick: r.quick,
    complete: r.complete,
    checks: r.checks.map((c) => ({ name: c.name, checked: c.checked, passed: c.passed, failed: c.failed, skipped: c.skipped.length })),
    notConvertedYet: r.notConvertedYet.length,
    acceptedUnreadable: [],
    // capped: a broken disk can fail everything
    failures: r.checks.flatMap((c) => c.failures.map((f) => ({ check: c.name, path: f.path, reason: f.reason }))).slice(0, 1000),
  };
}
