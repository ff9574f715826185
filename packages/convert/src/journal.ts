import { keepOutputAndRecord, recordJob, type Catalog, type ConvertItemRow, type JobAction } from "@archive/core";

/** What a finished output records in the journal. */
export interface FinishedOutput {
  action: JobAction;
  outputRel: string;
  outputSize: number;
  outputSha256: string;
  params: Record<string, unknown>;
}

/**
 * The job journal as one run writes it: every outcome of an item, tagged with the run and the
 * source's size and mtime as read (so a later change makes the job stale). A dry run writes nothing.
 */
export class RunJournal {
  constructor(
    private readonly cat: Catalog,
    readonly runId: number,
    readonly dry: boolean,
  ) {}

  private write(it: ConvertItemRow, rec: Omit<Parameters<typeof recordJob>[1], "itemId" | "sourceSize" | "sourceMtimeMs" | "runId">): void {
    if (this.dry) return;
    recordJob(this.cat, { ...rec, itemId: it.id, sourceSize: it.size, sourceMtimeMs: it.mtime_ms, runId: this.runId });
  }

  /**
   * The source changed after it was archived: keep its finished output as an older version and
   * reserve the item for its new content (no output name yet), in one transaction. Returns the
   * kept output (null in a dry run, or when there was none to keep).
   */
  keepAndClaim(it: ConvertItemRow, action: JobAction, reason: string): string | null {
    if (this.dry) return null;
    const next = { action, status: "pending" as const, outputRel: null, itemId: it.id, sourceSize: it.size, sourceMtimeMs: it.mtime_ms, runId: this.runId };
    return keepOutputAndRecord(this.cat, it.id, reason, next);
  }

  /** Reserve the item's content and output name before writing ('pending' until `done`). */
  claim(it: ConvertItemRow, action: JobAction, outputRel: string | null): void {
    this.write(it, { action, status: "pending", outputRel });
  }

  /** The output is in place under its final name with this hash: the only hash the manifest may take. */
  done(it: ConvertItemRow, out: FinishedOutput): void {
    this.write(it, { action: out.action, status: "done", outputRel: out.outputRel, params: out.params, outputSize: out.outputSize, outputSha256: out.outputSha256 });
  }

  failed(it: ConvertItemRow, reason: string, action: JobAction = "convert"): void {
    this.write(it, { action, status: "failed", outputRel: null, reason });
  }

  skipped(it: ConvertItemRow, reason: string): void {
    this.write(it, { action: "copy", status: "skipped", outputRel: null, reason });
  }

  duplicate(it: ConvertItemRow, keeperId: number): void {
    this.write(it, { action: "duplicate", status: "done", outputRel: null, reason: "same content as another item", duplicateOf: keeperId });
  }
}
