// Batches for `archive convert`: whole capture years while they fit the batch size, else runs of
// whole months, else runs of whole days. `--from`/`--to` select whole days, so a day (or one
// file) larger than the batch size is its own batch, and the batch says why it is larger.
import type { Batch, DayRow } from "@archive/core";

const pad = (n: number) => String(n).padStart(2, "0");
/** The last day of a month (1-12): 28-31, a real date. */
export const lastDayOf = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
const iso = (y: number, m: number, d: number) => `${y}-${pad(m)}-${pad(d)}`;

interface Run {
  rows: DayRow[];
  out: number;
}

function sum(rows: DayRow[], key: "files" | "bytes" | "out"): number {
  return rows.reduce((n, r) => n + r[key], 0);
}

/** Group consecutive units (each a list of day rows) into runs whose output stays within `limit`. */
function runsWithin(units: DayRow[][], limit: number): Run[] {
  const runs: Run[] = [];
  let cur: Run | null = null;
  for (const u of units) {
    const out = sum(u, "out");
    if (cur && cur.out + out > limit) {
      runs.push(cur);
      cur = null;
    }
    cur ??= { rows: [], out: 0 };
    cur.rows.push(...u);
    cur.out += out;
  }
  if (cur) runs.push(cur);
  return runs;
}

function wholeYear(year: number | null, rows: DayRow[], limit: number | null): Batch {
  const out = Math.round(sum(rows, "out"));
  const b: Batch = { name: year === null ? "undated" : String(year), year, files: sum(rows, "files"), bytes: sum(rows, "bytes"), outputBytes: out, convertArgs: year === null ? [] : ["--year", String(year)] };
  if (year === null && limit && out > limit) b.note = "undated files cannot be split by date: this batch is larger than the batch size";
  return b;
}

/** A batch of whole months (`whole`) or of days, with real first and last dates. */
function rangeBatch(year: number, run: Run, whole: boolean, limit: number): Batch {
  const first = run.rows[0]!;
  const last = run.rows[run.rows.length - 1]!;
  const fm = first.month ?? 1;
  const tm = last.month ?? 12;
  const from = whole ? iso(year, fm, 1) : iso(year, fm, first.day ?? 1);
  const to = whole ? iso(year, tm, lastDayOf(year, tm)) : iso(year, tm, last.day ?? lastDayOf(year, tm));
  const name = whole ? `${year}-${pad(fm)}..${pad(tm)}` : from === to ? from : `${from}..${to.slice(fm === tm ? 8 : 5)}`;
  const b: Batch = {
    name, year, fromMonth: fm, toMonth: tm, from, to, files: sum(run.rows, "files"), bytes: sum(run.rows, "bytes"),
    outputBytes: Math.round(run.out), convertArgs: ["--from", from, "--to", to],
  };
  if (run.out > limit) {
    b.note = b.files === 1
      ? "one file larger than the batch size: it is a batch of its own"
      : `${b.files} files captured on one day are larger than the batch size together: --from/--to select whole days, so this batch cannot be smaller`;
  }
  return b;
}

/** A year larger than the limit: runs of whole months; a month larger than the limit: runs of days. */
function splitYear(year: number, rows: DayRow[], limit: number): Batch[] {
  const months = new Map<number, DayRow[]>();
  for (const r of rows) {
    const list = months.get(r.month ?? 1);
    if (list) list.push(r);
    else months.set(r.month ?? 1, [r]);
  }
  const batches: Batch[] = [];
  let fitting: DayRow[][] = [];
  const flushMonths = () => {
    for (const run of runsWithin(fitting, limit)) batches.push(rangeBatch(year, run, true, limit));
    fitting = [];
  };
  for (const days of months.values()) {
    if (sum(days, "out") <= limit) {
      fitting.push(days);
      continue;
    }
    flushMonths();
    for (const run of runsWithin(days.map((d) => [d]), limit)) batches.push(rangeBatch(year, run, false, limit));
  }
  flushMonths();
  return batches;
}

/**
 * Batches by capture year; a year larger than `limit` (estimated output bytes) is split into
 * runs of whole months, and a month larger than the limit into runs of days. `days` must be in
 * date order (as `planDays` returns them).
 */
export function makeBatches(days: readonly DayRow[], limit: number | null | undefined): Batch[] {
  const years = new Map<number | null, DayRow[]>();
  for (const r of days) {
    const list = years.get(r.year);
    if (list) list.push(r);
    else years.set(r.year, [r]);
  }
  const batches: Batch[] = [];
  for (const [year, rows] of years) {
    const total = sum(rows, "out");
    if (!limit || total <= limit || year === null) batches.push(wholeYear(year, rows, limit ?? null));
    else batches.push(...splitYear(year, rows, limit));
  }
  return batches;
}
