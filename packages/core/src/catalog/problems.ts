// Catalog queries: what could not be archived and is not silent (issue 14 #4). Unreadable items
// (items.error) and the walk's problems (unreadable folders, links, FIFOs/devices, vanished
// entries, non-UTF-8 names) stay "unresolved" until a later scan no longer meets them or the user
// accepts them; every summary names them and no check says "ready" while one is unresolved.
// Owner: scan package.
import type { Catalog } from "./db.js";
import type { UnresolvedRow, WalkProblem } from "./schema.js";

/**
 * Record the problems one scan of a source met, replacing that source's earlier ones: a problem
 * met again keeps its acceptance unless its kind or reason changed; one not met again is gone.
 */
export function replaceWalkProblems(cat: Catalog, sourceId: number, scanRun: number, problems: readonly WalkProblem[]): void {
  const now = new Date().toISOString();
  const upsert = cat.stmt(
    `INSERT INTO problems (source_id, path, kind, reason, scan_run, first_seen) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (source_id, path) DO UPDATE SET
       accepted_at = CASE WHEN problems.kind = excluded.kind AND problems.reason = excluded.reason THEN problems.accepted_at END,
       kind = excluded.kind, reason = excluded.reason, scan_run = excluded.scan_run`,
  );
  cat.tx(() => {
    for (const p of problems) upsert.run(sourceId, p.path, p.kind, p.reason, scanRun, now);
    cat.stmt("DELETE FROM problems WHERE source_id = ? AND scan_run IS NOT ?").run(sourceId, scanRun);
  });
}

const UNRESOLVED_SQL = `
  SELECT i.source_id AS sourceId, s.root AS root, i.rel_path AS path, 'item' AS kind, i.error AS reason, i.accepted_at AS acceptedAt
  FROM items i JOIN sources s ON s.id = i.source_id WHERE i.error IS NOT NULL AND i.missing = 0
  UNION ALL
  SELECT p.source_id, s.root, p.path, p.kind, p.reason, p.accepted_at
  FROM problems p JOIN sources s ON s.id = p.source_id`;

/** Unreadable items and walk problems the user has not accepted, by source and path (streamed). */
export function listUnresolved(cat: Catalog): IterableIterator<UnresolvedRow> {
  return cat.stmt(`SELECT * FROM (${UNRESOLVED_SQL}) WHERE acceptedAt IS NULL ORDER BY sourceId, path`).iterate() as IterableIterator<UnresolvedRow>;
}

/** Every unreadable item and walk problem, accepted or not (what `plan` and the report list). */
export function listProblemsAndUnreadable(cat: Catalog): IterableIterator<UnresolvedRow> {
  return cat.stmt(`SELECT * FROM (${UNRESOLVED_SQL}) ORDER BY sourceId, path`).iterate() as IterableIterator<UnresolvedRow>;
}

/** How many unreadable items and walk problems there are, and how many of them are accepted. */
export interface UnresolvedCounts {
  /** Not accepted: these keep `verify --complete` and `archive run` from saying ready. */
  unresolved: number;
  accepted: number;
  /** Of the unresolved: catalogued files that cannot be archived, and what the walk met. */
  unreadableItems: number;
  walkProblems: number;
}

/** Counts of unresolved and accepted unreadable items and walk problems. */
export function countUnresolved(cat: Catalog): UnresolvedCounts {
  const r = cat
    .stmt(
      `SELECT COALESCE(SUM(acceptedAt IS NULL), 0) AS unresolved, COALESCE(SUM(acceptedAt IS NOT NULL), 0) AS accepted,
         COALESCE(SUM(acceptedAt IS NULL AND kind = 'item'), 0) AS unreadableItems,
         COALESCE(SUM(acceptedAt IS NULL AND kind <> 'item'), 0) AS walkProblems
       FROM (${UNRESOLVED_SQL})`,
    )
    .get() as UnresolvedCounts;
  return r;
}

/**
 * Accept unreadable items and walk problems (`--accept-unreadable`): "all", or paths, each either
 * relative to its source or absolute (source root + "/" + path). Returns how many were accepted
 * now; an accepted reason is reset when a later scan finds the file changed or the problem different.
 */
export function acceptUnresolved(cat: Catalog, which: "all" | readonly string[]): number {
  const now = new Date().toISOString();
  // a target matches everything ("all"), a path relative to its source, or an absolute path
  const match = "(? = 'all' OR ? = rel OR ? = s.root || '/' || rel)";
  const acceptItems = cat.stmt(
    `UPDATE items AS i SET accepted_at = ? FROM (SELECT id AS sid, root FROM sources) AS s
     WHERE s.sid = i.source_id AND i.accepted_at IS NULL AND i.error IS NOT NULL AND i.missing = 0
       AND ${match.replaceAll("rel", "i.rel_path")}`,
  );
  const acceptProblems = cat.stmt(
    `UPDATE problems AS p SET accepted_at = ? FROM (SELECT id AS sid, root FROM sources) AS s
     WHERE s.sid = p.source_id AND p.accepted_at IS NULL AND ${match.replaceAll("rel", "p.path")}`,
  );
  const targets = which === "all" ? ["all"] : which;
  return cat.tx(() => {
    let n = 0;
    for (const t of targets) {
      n += acceptItems.run(now, t, t, t).changes;
      n += acceptProblems.run(now, t, t, t).changes;
    }
    return n;
  });
}
