import { join } from "node:path";
import {
  candidateSizes,
  candidatesOfSize,
  keeperFacts,
  listSources,
  noEvents,
  recordContentHash,
  replaceDuplicateGroups,
  type Catalog,
  type KeeperFactRow,
  type OnEvent,
} from "@archive/core";
import { chooseKeeper, type KeepReason, type KeeperFacts } from "./keeper.js";
import { emptyStats, runStages, type Candidate, type ContentSet, type StageStats } from "./stages.js";

/** One copy in a duplicate group. */
export interface DuplicateMember {
  /** Item id (source scope) or walk row id (archive scope). */
  id: number;
  /** Absolute path. */
  path: string;
  /** Source-relative (source scope) or workspace-relative (archive scope) path. */
  rel: string;
  /** False for an archived item whose source file is gone (a previous export). */
  present: boolean;
  /**
   * Source scope: the item already has a finished job (its content is in the archive). Archive
   * scope: the job journal records this file as the archive's own (the manifest lists it), so
   * --quarantine never moves it.
   */
  archived: boolean;
  /** Source scope: the catalog item. Archive scope: the item whose job wrote this file, if known. */
  itemId: number | null;
}

/** Files with identical bytes: the one to keep, why, and the others. */
export interface DuplicateGroup {
  sha256: string;
  size: number;
  keeper: DuplicateMember;
  reason: KeepReason;
  duplicates: DuplicateMember[];
  /** The keeper or a duplicate seen again under another path (hard link, symlink): not duplicates. */
  aliases: { path: string; rel: string }[];
}

export interface DedupeReport {
  scope: "source" | "archive";
  groups: DuplicateGroup[];
  /** Present files that are copies of a kept file. */
  duplicateFiles: number;
  /** Bytes those copies take: what keeping one copy saves. */
  bytesSaved: number;
  stats: StageStats;
  problems: { path: string; reason: string }[];
  durationMs: number;
  /** Why nothing was looked at, e.g. the archive has no converted/ folder yet. */
  note?: string;
}

export interface FindOptions {
  catalog: Catalog;
  /** Worker threads for edge reads and SHA-256 (default: min(4, cores)); created and closed per call. */
  threads?: number;
  /** Zero-byte files count as duplicates of each other (default: they do not). */
  includeEmpty?: boolean;
  /** Prefer keepers under these folders, in order (absolute, or relative to the source / workspace). */
  keepPath?: readonly string[];
  /** Write the groups to the catalog (groups type 'duplicate'); default true. */
  record?: boolean;
  onEvent?: OnEvent;
  signal?: AbortSignal;
}

type ItemCandidate = Candidate & { mtimeRow: number; inoRow: number | null };

/**
 * Same-size groups of candidate items, paged by size so the catalog is never loaded whole. Only
 * the columns the stages need are read (raw rows: this query touches every candidate); the keeper
 * rule's facts are read later, for group members only.
 */
function* sizeGroups(catalog: Catalog, minSize: number): Generator<ItemCandidate[]> {
  // sources are few: their roots once, not joined into every row
  const roots = new Map(listSources(catalog).map((s) => [s.id, s.root]));
  let after = -1;
  for (;;) {
    const page = candidateSizes(catalog, minSize, after);
    if (!page.length) return;
    for (const size of page) {
      yield candidatesOfSize(catalog, size).map(([id, sourceId, rel, sz, mtime, dev, ino, sha, missing]) => ({
        id,
        path: join(roots.get(sourceId) ?? "", rel),
        rel,
        size: sz,
        mtimeMs: mtime,
        dev,
        ino,
        sha256: sha,
        present: missing === 0,
        mtimeRow: mtime,
        inoRow: ino,
      }));
    }
    after = page[page.length - 1]!;
  }
}

/** Build report groups from content sets with the keeper rule applied. */
export function toGroups<C extends Candidate>(
  sets: ContentSet<C>[],
  facts: (c: C) => KeeperFacts,
  member: (c: C) => DuplicateMember,
  keepPath: readonly string[],
): Pick<DedupeReport, "groups" | "duplicateFiles" | "bytesSaved"> {
  const groups: DuplicateGroup[] = [];
  let duplicateFiles = 0;
  let bytesSaved = 0;
  for (const s of sets) {
    const byId = new Map(s.members.map((m) => [m.id, m]));
    const { ordered, reason } = chooseKeeper(s.members.map(facts), keepPath);
    const [k, ...rest] = ordered.map((f) => byId.get(f.id)!);
    const duplicates = rest.map(member);
    const present = duplicates.filter((d) => d.present).length;
    duplicateFiles += present;
    bytesSaved += present * s.size;
    groups.push({ sha256: s.sha256, size: s.size, keeper: member(k!), reason, duplicates, aliases: s.aliases.map((a) => ({ path: a.path, rel: a.rel })) });
  }
  // one collator, same order as localeCompare (which measured ~90 ms for 2,000 groups)
  const collator = new Intl.Collator();
  groups.sort((a, b) => b.size * b.duplicates.length - a.size * a.duplicates.length || collator.compare(a.keeper.rel, b.keeper.rel));
  return { groups, duplicateFiles, bytesSaved };
}

/**
 * Exact duplicates among the catalogued source items (present ones, plus archived items of an
 * earlier export whose SHA-256 is known): size -> same file -> edge xxh128 -> SHA-256. Computed
 * SHA-256 values are cached in items.sha256 (only while the file still matches its row), and the
 * groups are recorded in the catalog as groups of type 'duplicate' (roles 'keeper'/'duplicate').
 */
export async function findSourceDuplicates(o: FindOptions): Promise<DedupeReport> {
  const started = Date.now();
  const onEvent = o.onEvent ?? noEvents;
  const stats = emptyStats();
  const problems: { path: string; reason: string }[] = [];
  let pending: [string, ItemCandidate][] = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    o.catalog.tx(() => {
      // stored only while the file still matches its row: a hash of bytes the catalog no longer describes is never kept
      for (const [sha, c] of batch) recordContentHash(o.catalog, c.id, sha, c.size, c.mtimeRow, c.inoRow);
    });
  };
  const sets: ContentSet<ItemCandidate>[] = [];
  onEvent({ kind: "stage", stage: "dedupe" });
  try {
    await runStages(
      sizeGroups(o.catalog, o.includeEmpty ? 0 : 1),
      {
        ...(o.threads !== undefined ? { threads: o.threads } : {}),
        onEvent,
        stats,
        problems,
        ...(o.signal ? { signal: o.signal } : {}),
        remember(c, sha) {
          pending.push([sha, c]);
          // fewer, larger transactions than one per 1,024 rows (each commit rewrites the pages it
          // touched), yet early enough to overlap with hashing still in flight in the workers
          if (pending.length >= 4096) flush();
        },
      },
      (s) => sets.push(s),
    );
  } finally {
    flush();
  }
  const keepPath = o.keepPath ?? [];
  // the keeper rule's facts, for group members only
  const facts = new Map<number, KeeperFactRow>(keeperFacts(o.catalog, sets.flatMap((x) => x.members.map((m) => m.id))).map((r) => [r.id, r]));
  const factOf = (id: number) => facts.get(id) ?? { id, archived: 0, in_album: 0, capture_utc_ms: null };
  const result = toGroups(
    sets,
    (c) => ({
      id: c.id,
      path: c.path,
      matchPaths: [c.rel],
      archived: factOf(c.id).archived === 1,
      inAlbum: factOf(c.id).in_album === 1,
      captureUtcMs: factOf(c.id).capture_utc_ms,
      present: c.present,
    }),
    (c) => ({ id: c.id, path: c.path, rel: c.rel, present: c.present, archived: factOf(c.id).archived === 1, itemId: c.id }),
    keepPath,
  );
  if (o.record !== false) recordGroups(o.catalog, result.groups);
  return { scope: "source", ...result, stats, problems, durationMs: Date.now() - started };
}

/** Replace the catalog's duplicate groups (type 'duplicate', key = SHA-256) with `groups`. */
export function recordGroups(catalog: Catalog, groups: readonly DuplicateGroup[]): void {
  const members = groups.flatMap((g) => [
    ...(g.keeper.itemId !== null ? [[g.sha256, g.keeper.itemId, "keeper"] as [string, number, "keeper"]] : []),
    ...g.duplicates.filter((d) => d.itemId !== null).map((d) => [g.sha256, d.itemId!, "duplicate"] as [string, number, "duplicate"]),
  ]);
  replaceDuplicateGroups(catalog, groups.map((g) => g.sha256), members);
}

/**
 * The keeper of an item's duplicate group, or null when it is not a *current* duplicate: core's one
 * rule (`currentDuplicateOf`), here under the name dedupe always gave it.
 */
export { currentDuplicateOf as duplicateOf, archivedCopyOf, newContentCount, type DuplicateOf, type NewContent } from "@archive/core";
