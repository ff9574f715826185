import { appendFileSync, closeSync, existsSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { HashCache, insideWorkspace, noEvents, reasonOf, sha256File, tempPathFor, type Catalog, type DedupeSummary, type OnEvent } from "@archive/core";
import { journalledFiles, QUARANTINE_DIR, QUARANTINE_LOG } from "./archive.js";
import type { DedupeReport } from "./source.js";

/** What an action did, file by file. */
export interface ActionResult {
  action: "link" | "quarantine" | "restore";
  done: { path: string; keeper?: string; to?: string }[];
  skipped: { path: string; reason: string }[];
  failed: { path: string; reason: string }[];
  bytes: number;
}

export interface ActionOptions {
  workspace: string;
  catalog: Catalog;
  onEvent?: OnEvent;
  /** Report what would be done, touching nothing. */
  dryRun?: boolean;
}

/** One line of the quarantine log (JSON lines, appended, never rewritten). */
export type LogEntry =
  | { op: "quarantine"; rel: string; to: string; keeper: string; sha256: string; size: number; at: string }
  | { op: "restore"; rel: string; from: string; at: string };

/** Byte-for-byte comparison of two files (the proof before any action, beyond SHA-256). */
export function sameBytes(a: string, b: string): boolean {
  const fa = openSync(a, "r");
  const fb = openSync(b, "r");
  try {
    const ba = Buffer.allocUnsafe(1024 * 1024);
    const bb = Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      const na = readSync(fa, ba, 0, ba.length, null);
      let nb = 0;
      while (nb < na) {
        const r = readSync(fb, bb, nb, na - nb, null);
        if (r === 0) break;
        nb += r;
      }
      if (na !== nb || !ba.subarray(0, na).equals(bb.subarray(0, nb))) return false;
      if (na === 0) return readSync(fb, bb, 0, 1, null) === 0;
    }
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

/** Refuse anything outside converted/ or originals/: the source library is never touched. */
function archivePath(ws: string, rel: string): string {
  if (!/^(converted|originals)\//.test(rel)) throw new Error(`not an archive file: ${rel}`);
  return insideWorkspace(ws, rel);
}

/**
 * Replace each archive duplicate with a hard link to its keeper: same file system only, compared
 * byte-for-byte first, made atomically (link to a temporary name, then rename over the copy).
 */
export function linkDuplicates(report: DedupeReport, o: ActionOptions): ActionResult {
  const res: ActionResult = { action: "link", done: [], skipped: [], failed: [], bytes: 0 };
  if (report.scope !== "archive") throw new Error("linkDuplicates acts on archive duplicates only");
  const onEvent = o.onEvent ?? noEvents;
  const cache = new HashCache(o.catalog);
  for (const g of report.groups) {
    for (const d of g.duplicates) {
      try {
        const keeper = archivePath(o.workspace, g.keeper.rel);
        const dup = archivePath(o.workspace, d.rel);
        const sk = lstatSync(keeper);
        const sd = lstatSync(dup);
        if (!sk.isFile() || !sd.isFile()) res.skipped.push({ path: d.rel, reason: "not a regular file any more" });
        else if (sk.dev !== sd.dev) res.skipped.push({ path: d.rel, reason: `on another file system than ${g.keeper.rel}: a hard link is impossible` });
        else if (sk.ino === sd.ino) res.skipped.push({ path: d.rel, reason: "already the same file" });
        else if (!sameBytes(keeper, dup)) res.failed.push({ path: d.rel, reason: `differs from ${g.keeper.rel} byte-for-byte (changed since hashed); left alone` });
        else {
          if (!o.dryRun) {
            const tmp = tempPathFor(dup);
            try {
              linkSync(keeper, tmp);
              renameSync(tmp, dup);
            } catch (err) {
              rmSync(tmp, { force: true });
              throw err;
            }
            cache.store(d.rel, { size: sk.size, mtimeMs: sk.mtimeMs, ino: sk.ino }, g.sha256);
          }
          res.done.push({ path: d.rel, keeper: g.keeper.rel });
          res.bytes += g.size;
          onEvent({ kind: "file", stage: "link", path: d.rel, status: "ok" });
        }
      } catch (err) {
        res.failed.push({ path: d.rel, reason: reasonOf(err) });
      }
    }
  }
  return res;
}

/** Pick a free name in the quarantine for `rel` (a second quarantine of the same path gets ~2). */
function quarantineName(ws: string, rel: string): string {
  let to = `${QUARANTINE_DIR}/${rel}`;
  for (let n = 2; existsSync(join(ws, to)); n++) to = `${QUARANTINE_DIR}/${rel}~${n}`;
  return to;
}

/** Why --quarantine leaves a journalled duplicate where it is. */
export const JOURNALLED_REASON =
  "the job journal records it as the archive's own (the manifest lists it, verify checks it): never quarantined; --link saves its space instead";

/**
 * Move each archive duplicate into <workspace>/.archive/quarantine/ (same relative path), after
 * checking it byte-for-byte against its keeper, and log the move so `restoreQuarantine` can undo it.
 * A file the job journal records as the archive's own (output, kept original, sidecar, older
 * output kept) is never moved, whatever the report says: it is skipped with JOURNALLED_REASON
 * (the journal is read now, so a report made earlier cannot move a file convert wrote since).
 */
export function quarantineDuplicates(report: DedupeReport, o: ActionOptions): ActionResult {
  const res: ActionResult = { action: "quarantine", done: [], skipped: [], failed: [], bytes: 0 };
  if (report.scope !== "archive") throw new Error("quarantineDuplicates acts on archive duplicates only");
  const onEvent = o.onEvent ?? noEvents;
  const log = join(o.workspace, QUARANTINE_LOG);
  const journal = journalledFiles(o.catalog);
  for (const g of report.groups) {
    for (const d of g.duplicates) {
      try {
        const keeper = archivePath(o.workspace, g.keeper.rel);
        const dup = archivePath(o.workspace, d.rel);
        if (journal.has(d.rel)) {
          res.skipped.push({ path: d.rel, reason: JOURNALLED_REASON });
          continue;
        }
        if (!lstatSync(dup).isFile()) {
          res.skipped.push({ path: d.rel, reason: "not a regular file any more" });
          continue;
        }
        if (!sameBytes(keeper, dup)) {
          res.failed.push({ path: d.rel, reason: `differs from ${g.keeper.rel} byte-for-byte (changed since hashed); left alone` });
          continue;
        }
        const to = quarantineName(o.workspace, d.rel);
        if (!o.dryRun) {
          const abs = insideWorkspace(o.workspace, to);
          mkdirSync(dirname(abs), { recursive: true });
          // the log line first: a crash between the two leaves a line whose file is still in place (restore skips it)
          const entry: LogEntry = { op: "quarantine", rel: d.rel, to, keeper: g.keeper.rel, sha256: g.sha256, size: g.size, at: new Date().toISOString() };
          appendFileSync(log, JSON.stringify(entry) + "\n");
          renameSync(dup, abs);
        }
        res.done.push({ path: d.rel, keeper: g.keeper.rel, to });
        res.bytes += g.size;
        onEvent({ kind: "file", stage: "quarantine", path: d.rel, status: "ok" });
      } catch (err) {
        res.failed.push({ path: d.rel, reason: reasonOf(err) });
      }
    }
  }
  return res;
}

/** The quarantine log's entries (an absent log is an empty one). */
export function readQuarantineLog(workspace: string): LogEntry[] {
  const log = join(workspace, QUARANTINE_LOG);
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as LogEntry);
}

/**
 * Replay the quarantine log backwards: move every quarantined file not yet restored back to its
 * place (never over an existing file), checking its SHA-256 against the log first.
 */
/**
 * The quarantine moves not undone yet, in log order. A restore undoes the latest move into the
 * place it names: the same file can be quarantined, restored and quarantined again into the same
 * place, and only replaying the log in order tells which move is still open.
 */
function stillQuarantined(entries: readonly LogEntry[]): Map<string, Extract<LogEntry, { op: "quarantine" }>> {
  const open = new Map<string, Extract<LogEntry, { op: "quarantine" }>>();
  for (const e of entries) {
    if (e.op === "quarantine") {
      open.delete(e.to); // re-inserted: keeps log order
      open.set(e.to, e);
    } else if (e.op === "restore") open.delete(e.from);
  }
  return open;
}

export async function restoreQuarantine(o: ActionOptions): Promise<ActionResult> {
  const res: ActionResult = { action: "restore", done: [], skipped: [], failed: [], bytes: 0 };
  const entries = readQuarantineLog(o.workspace);
  const log = join(o.workspace, QUARANTINE_LOG);
  const todo = [...stillQuarantined(entries).values()].reverse();
  for (const e of todo) {
    try {
      const from = insideWorkspace(o.workspace, e.to);
      const back = archivePath(o.workspace, e.rel);
      if (!existsSync(from)) {
        res.skipped.push({ path: e.rel, reason: existsSync(back) ? "never moved (still in place)" : `missing from the quarantine (${e.to})` });
        continue;
      }
      if (existsSync(back)) {
        res.failed.push({ path: e.rel, reason: `a file is in its place already; the quarantined copy stays at ${e.to}` });
        continue;
      }
      const sha = await sha256File(from);
      if (sha !== e.sha256) {
        res.failed.push({ path: e.rel, reason: `quarantined copy ${e.to} no longer has the logged SHA-256; left in quarantine` });
        continue;
      }
      if (!o.dryRun) {
        mkdirSync(dirname(back), { recursive: true });
        renameSync(from, back);
        const entry: LogEntry = { op: "restore", rel: e.rel, from: e.to, at: new Date().toISOString() };
        appendFileSync(log, JSON.stringify(entry) + "\n");
      }
      res.done.push({ path: e.rel, to: e.rel });
      res.bytes += e.size;
    } catch (err) {
      res.failed.push({ path: e.rel, reason: reasonOf(err) });
    }
  }
  return res;
}

/** What the run record keeps of a dedupe run (read back typed through `lastRun(cat, "dedupe")`). */
export function dedupeSummary(source: DedupeReport, archive: DedupeReport, action?: ActionResult): DedupeSummary {
  return {
    source: { groups: source.groups.length, files: source.duplicateFiles, bytes: source.bytesSaved },
    archive: { groups: archive.groups.length, files: archive.duplicateFiles, bytes: archive.bytesSaved },
    ...(action ? { action: { name: action.action, done: action.done.length, skipped: action.skipped.length, failed: action.failed.length } } : {}),
  };
}
