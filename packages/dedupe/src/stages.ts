import { ArchiveError, forEachLimit, type OnEvent } from "@archive/core";
import { BatchPool } from "./workers.js";

/** One file (or one catalogued item whose file is gone) taking part in duplicate finding. */
export interface Candidate {
  /** Item id (source scope) or walk row id (archive scope): lower = seen first. */
  id: number;
  /** Absolute path. */
  path: string;
  /** Path shown to people: source-relative (source scope) or workspace-relative (archive scope). */
  rel: string;
  size: number;
  mtimeMs: number;
  dev: number | null;
  ino: number | null;
  /** SHA-256 already known for exactly this size/mtime/inode, else null. */
  sha256: string | null;
  /** False for a catalogued item whose file is gone: only its known SHA-256 takes part. */
  present: boolean;
}

/** Files with the same bytes, each a distinct file (distinct device + inode). */
export interface ContentSet<C extends Candidate = Candidate> {
  sha256: string;
  size: number;
  members: C[];
  /** The same file seen again under another path (hard link, symlink): never a duplicate. */
  aliases: C[];
}

/** How much work each stage did: the point of staging is that most files stop early. */
export interface StageStats {
  sizeGroups: number;
  candidates: number;
  sameFile: number;
  edgeRead: number;
  edgeDropped: number;
  sha256Hashed: number;
  sha256Cached: number;
  bytesHashed: number;
  changed: number;
}

export const emptyStats = (): StageStats => ({
  sizeGroups: 0, candidates: 0, sameFile: 0, edgeRead: 0, edgeDropped: 0, sha256Hashed: 0, sha256Cached: 0, bytesHashed: 0, changed: 0,
});

export interface StageOptions<C extends Candidate> {
  /** Worker threads for edge reads and SHA-256 (runStages creates and closes one unless given). */
  batch?: BatchPool;
  /** Threads for the BatchPool runStages creates (default: min(4, cores)). */
  threads?: number;
  /** Persist a freshly computed SHA-256 (only called when the file still matches the candidate). */
  remember(c: C, sha256: string): void;
  onEvent: OnEvent;
  signal?: AbortSignal;
  stats: StageStats;
  problems: { path: string; reason: string }[];
}

/**
 * Files up to this size skip the edge stage and are read whole once and SHA-256 hashed in a
 * worker: reading 64 KiB costs about what an open plus two 4 KiB reads cost, and a second pass
 * (edge, then SHA-256) would open them twice.
 */
export const SMALL_FILE = 64 * 1024;
const EDGE_WINDOW = 4096;
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** Stage 1: the same file seen twice (hard link, symlink followed, path given twice) is one file. */
function distinctFiles<C extends Candidate>(group: C[], stats: StageStats): { distinct: C[]; aliasesOf: Map<C, C[]> } {
  const byFile = new Map<string, C>();
  const aliasesOf = new Map<C, C[]>();
  const sorted = group.length > 1 && group.some((c, i) => i > 0 && c.id < group[i - 1]!.id) ? [...group].sort((a, b) => a.id - b.id) : group;
  for (const c of sorted) {
    const key = c.present && c.dev !== null && c.ino !== null ? `${c.dev}:${c.ino}` : `id:${c.id}`;
    const first = byFile.get(key);
    if (first) {
      stats.sameFile++;
      const a = aliasesOf.get(first);
      if (a) a.push(c);
      else aliasesOf.set(first, [c]);
    } else byFile.set(key, c);
  }
  return { distinct: [...byFile.values()].filter((c) => c.present || c.sha256 !== null), aliasesOf };
}

/** A worker's error as a problem's reason. */
const workerReason = (r: { code?: string; error?: string }) => (r.code && !r.error?.includes(r.code) ? `${r.code}: ${r.error}` : String(r.error));

/** Stage 2: xxh128 of the first and last 4 KiB; only candidates whose edges another one shares go on. */
async function edgeFilter<C extends Candidate>(distinct: C[], uncached: C[], size: number, batch: BatchPool, o: StageOptions<C>): Promise<C[]> {
  const goneKnown = distinct.some((c) => !c.present && c.sha256 !== null);
  const readable = distinct.filter((c) => c.present);
  const results = await batch.runAll("edge", readable.map((c) => [c.path, size]), 64, EDGE_WINDOW);
  const edges = new Map<C, string>();
  readable.forEach((c, i) => {
    const r = results[i]!;
    if (r.value !== undefined) {
      edges.set(c, r.value);
      o.stats.edgeRead++;
    } else o.problems.push({ path: c.rel, reason: workerReason(r) });
  });
  const count = new Map<string, number>();
  for (const e of edges.values()) count.set(e, (count.get(e) ?? 0) + 1);
  return uncached.filter((c) => {
    const e = edges.get(c);
    const keep = e !== undefined && (goneKnown || (count.get(e) ?? 0) > 1);
    if (!keep && e !== undefined) o.stats.edgeDropped++;
    return keep;
  });
}

/** Stage 3: full SHA-256, the only proof of equal content; kept only while the file still matches its row. */
async function fullHashes<C extends Candidate>(toHash: C[], size: number, batch: BatchPool, o: StageOptions<C>, known: Map<C, string>, fresh: Set<C>): Promise<void> {
  // in batches of up to 64 files and ~8 MiB, so small and large files alike cost few messages
  const results = await batch.runAll("sha", toHash.map((c) => [c.path, size]), 64);
  toHash.forEach((c, i) => {
    const r = results[i]!;
    if (r.value === undefined) {
      o.problems.push({ path: c.rel, reason: workerReason(r) });
      return;
    }
    o.stats.sha256Hashed++;
    o.stats.bytesHashed += size;
    const same = r.size === c.size && Math.round(r.mtimeMs!) === Math.round(c.mtimeMs) && (c.ino === null || r.ino === c.ino);
    if (!same) {
      o.stats.changed++;
      o.problems.push({ path: c.rel, reason: "changed since it was catalogued: run `archive plan` again" });
      return;
    }
    known.set(c, r.value);
    fresh.add(c);
  });
}

/** Stage 4: sets of two or more distinct files with equal SHA-256; every new hash is remembered. */
function contentSets<C extends Candidate>(known: Map<C, string>, fresh: Set<C>, size: number, aliasesOf: Map<C, C[]>, o: StageOptions<C>): ContentSet<C>[] {
  const bySha = new Map<string, C[]>();
  for (const [c, sha] of known) {
    const b = bySha.get(sha);
    if (b) b.push(c);
    else bySha.set(sha, [c]);
  }
  const sets: ContentSet<C>[] = [];
  for (const [sha256, members] of bySha) {
    // every new hash is kept, unique ones too: the next run (and plan, and the manifest) reuse them
    for (const m of members) if (fresh.has(m)) o.remember(m, sha256);
    if (members.length < 2 || !members.some((m) => m.present)) continue;
    members.sort((a, b) => a.id - b.id);
    sets.push({ sha256, size, members, aliases: members.flatMap((m) => aliasesOf.get(m) ?? []) });
  }
  return sets;
}

/**
 * The staged comparison of one group of same-size candidates: one file per device + inode ->
 * drop singletons -> xxh128 of the first and last 4 KiB -> drop singletons -> full SHA-256
 * (cached values reused) -> sets of two or more distinct files with equal SHA-256.
 */
export async function compareSameSize<C extends Candidate>(group: C[], o: StageOptions<C>): Promise<ContentSet<C>[]> {
  o.stats.sizeGroups++;
  o.stats.candidates += group.length;
  const { distinct, aliasesOf } = distinctFiles(group, o.stats);
  if (distinct.length < 2) return [];
  const size = distinct[0]!.size;
  const known = new Map<C, string>();
  /** Hashed in this run (not cached): remembered in stage 4. */
  const fresh = new Set<C>();
  const uncached: C[] = [];
  for (const c of distinct) {
    if (size === 0) known.set(c, EMPTY_SHA256);
    else if (c.sha256 !== null) {
      known.set(c, c.sha256);
      o.stats.sha256Cached++;
    } else if (c.present) uncached.push(c);
  }
  if (uncached.length) {
    if (!o.batch) throw new Error("compareSameSize needs a BatchPool (runStages provides one)");
    // the edge pre-filter, only where it can save reading whole files
    const toHash = size > SMALL_FILE ? await edgeFilter(distinct, uncached, size, o.batch, o) : uncached;
    await fullHashes(toHash, size, o.batch, o, known, fresh);
  }
  return contentSets(known, fresh, size, aliasesOf, o);
}

/**
 * Run `compareSameSize` over a stream of same-size groups, several groups at once so the hash
 * workers stay busy, and hand each content set to `onSet`.
 */
export async function runStages<C extends Candidate>(
  groups: AsyncIterable<C[]> | Iterable<C[]>,
  o: StageOptions<C>,
  onSet: (s: ContentSet<C>) => void,
): Promise<void> {
  let done = 0;
  const batch = o.batch ?? new BatchPool(o.threads);
  try {
    await forEachLimit(groups, Math.max(4, batch.size * 2), async (g) => {
      for (const s of await compareSameSize(g, { ...o, batch })) onSet(s);
      done += g.length;
      o.onEvent({ kind: "progress", stage: "dedupe", done, bytes: o.stats.bytesHashed });
    }, o.signal);
  } finally {
    if (!o.batch) await batch.close();
  }
  // partial results must never replace the recorded groups
  if (o.signal?.aborted) throw new ArchiveError("E_ABORTED", "dedupe interrupted");
}
