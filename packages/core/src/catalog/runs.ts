import type { Catalog } from "./db.js";
import type { RunSummaries } from "./summaries.js";

/** A command recorded in `runs`. */
export type RunCommand = keyof RunSummaries;

/** One finished run with its typed summary. */
export interface RunRecord<S> {
  id: number;
  startedAt: string;
  finishedAt: string;
  status: string;
  summary: S;
}

/** Record the start of a command; returns the run id for `finishRun`. */
export function startRun(cat: Catalog, command: RunCommand): number {
  const r = cat.stmt("INSERT INTO runs (command, started_at) VALUES (?, ?)").run(command, new Date().toISOString());
  return Number(r.lastInsertRowid);
}

/** Record the end of a run with its summary (stored as JSON, read back typed by `lastRun`). */
export function finishRun<C extends RunCommand>(cat: Catalog, id: number, command: C, status: string, summary: RunSummaries[C]): void {
  void command; // the command names the summary's type; it was recorded by startRun
  cat
    .stmt("UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?")
    .run(new Date().toISOString(), status, JSON.stringify(summary), id);
}

/** The latest finished run of a command, with its typed summary. */
export function lastRun<C extends RunCommand>(cat: Catalog, command: C): RunRecord<RunSummaries[C]> | null {
  const row = cat
    .stmt(
      "SELECT id, started_at, finished_at, status, summary FROM runs WHERE command = ? AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1",
    )
    .get(command) as { id: number; started_at: string; finished_at: string; status: string; summary: string | null } | undefined;
  if (!row) return null;
  return {
    id: row.id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    status: row.status,
    summary: JSON.parse(row.summary ?? "null") as RunSummaries[C],
  };
}
