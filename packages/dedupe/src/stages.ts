import { createHash } from "node:crypto";
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { edgeFingerprint, forEachLimit, reasonOf, type HashPool, type OnEvent } from "@archive/core";

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
  pool: HashPool;
  /** Persist a freshly computed SHA-256 (only called when the file still matches the candidate). */
  remember(c: C, sha256: string): void;
  onEvent: OnEvent;
  signal?: AbortSignal;
  stats: StageStats;
  problems: { path: string; reason: string }[];
}

/** Files up to this size are read whole and hashed on the main thread: an edge read would read them whole anyway. */
export const SMALL_FILE = 16 * 1024;
const EDGE_WINDOW = 4096;
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

function sha256Small(path: string, size: number): string {
  const buf = Buffer.allocUnsafe(size + 1);
  const fd = openSync(path, "r");
  try {
    let n = 0;
    let r: number;
    while ((r = readSync(fd, buf, n, buf.length - n, null)) > 0) n += r;
    return createHash("sha256").update(buf.subarray(0, n)).digest("hex");
  } finally {
    closeSync(fd);
  }
}

/** True when the file at c.path still has the size, mtime and inode the candidate was built from. */
function unchanged(c: Candidate): boolean {
  try {
    const st = statSync(c.path);
    return st.size === c.size && Math.round(st.mtimeMs) === Math.round(c.mtimeMs) && (c.ino === null || st.ino === c.ino);
  } catch {
    return false;
  }
}

/**
 * The staged comparison of one group of same-size candidates: one file per device + inode ->
 * drop singletons -> xxh128 of the first and last 4 KiB -> drop singletons -> full SHA-256
 * (cached values reused) -> sets of two or more distinct files with equal SHA-256.
 */
export async function compareSameSize<C extends Candidate>(group: C[], o: StageOptions<C>): Promise<ContentSet<C>[]> {
  const { stats } = o;
  stats.sizeGroups++;
  stats.candidates += group.length;
  // 1. the same file seen twice (hard link, symlink followed, path given twice) is one file
  const byFile = new Map<string, C>();
  const aliasesOf = new Map<C, C[]>();
  for (const c of [...group].sort((a, b) => a.id - b.id)) {
    const key = c.present && c.dev !== null && c.ino !== null ? `${c.dev}:${c.ino}` : `id:${c.id}`;
    const first = byFile.get(key);
    if (first) {
      stats.sameFile++;
      aliasesOf.set(first, [...(aliasesOf.get(first) ?? []), c]);
    } else byFile.set(key, c);
  }
  const distinct = [...byFile.values()].filter((c) => c.present || c.sha256 !== null);
  if (distinct.length < 2) return [];

  const size = distinct[0]!.size;
  const known = new Map<C, string>();
  const uncached: C[] = [];
  for (const c of distinct) {
    if (size === 0) known.set(c, EMPTY_SHA256);
    else if (c.sha256 !== null) {
      known.set(c, c.sha256);
      stats.sha256Cached++;
    } else if (c.present) uncached.push(c);
  }

  if (uncached.length) {
    let toHash = uncached;
    // 2. the edge pre-filter, only where it can save reading whole files
    if (size > SMALL_FILE) {
      const goneKnown = distinct.some((c) => !c.present && c.sha256 !== null);
      const readable = distinct.filter((c) => c.present);
      const edges = new Map<C, string>();
      await forEachLimit(readable, 4, async (c) => {
        try {
          edges.set(c, await edgeFingerprint(c.path, size, EDGE_WINDOW));
          stats.edgeRead++;
        } catch (err) {
          o.problems.push({ path: c.rel, reason: reasonOf(err) });
        }
      }, o.signal);
      const count = new Map<string, number>();
      for (const e of edges.values()) count.set(e, (count.get(e) ?? 0) + 1);
      toHash = uncached.filter((c) => {
        const e = edges.get(c);
        const keep = e !== undefined && (goneKnown || (count.get(e) ?? 0) > 1);
        if (!keep && e !== undefined) stats.edgeDropped++;
        return keep;
      });
    }
    // 3. full SHA-256: the only proof of equal content
    await forEachLimit(toHash, Math.max(2, o.pool.size * 2), async (c) => {
      try {
        let sha: string;
        if (size <= SMALL_FILE) sha = sha256Small(c.path, size);
        else {
          const r = await o.pool.hash(c.path);
          sha = r.sha256;
          if (r.size !== size) throw Object.assign(new Error(`changed while reading (${r.size} bytes, catalogued ${size})`), { code: "ECHANGED" });
        }
        stats.sha256Hashed++;
        stats.bytesHashed += size;
        if (!unchanged(c)) {
          stats.changed++;
          o.problems.push({ path: c.rel, reason: "changed since it was catalogued: run `archive plan` again" });
          return;
        }
        known.set(c, sha);
        o.remember(c, sha);
      } catch (err) {
        o.problems.push({ path: c.rel, reason: reasonOf(err) });
      }
    }, o.signal);
  }

  const bySha = new Map<string, C[]>();
  for (const [c, sha] of known) bySha.set(sha, [...(bySha.get(sha) ?? []), c]);
  const sets: ContentSet<C>[] = [];
  for (const [sha256, members] of bySha) {
    if (members.length < 2 || !members.some((m) => m.present)) continue;
    members.sort((a, b) => a.id - b.id);
    sets.push({ sha256, size, members, aliases: members.flatMap((m) => aliasesOf.get(m) ?? []) });
  }
  return sets;
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
  await forEachLimit(groups, Math.max(4, o.pool.size * 2), async (g) => {
    for (const s of await compareSameSize(g, o)) onSet(s);
    done += g.length;
    o.onEvent({ kind: "progress", stage: "dedupe", done, bytes: o.stats.bytesHashed });
  }, o.signal);
}
