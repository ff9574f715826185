// Catalog queries: hand-off destinations and their proofs, per-file re-read times (scrubbing),
// PAR2 protection sets (issue 11) — owner: the hand-off helper (packages/verify/src/handoff/).
import type { Catalog } from "./db.js";

/** Where a copy of the archive lives: a folder (mounted disk, NAS) or an rclone remote `name:path`. */
export type DestinationKind = "folder" | "rclone";

/** How a destination's bytes were proven. */
export type ProofMethod = "sha256" | "rclone-sha256" | "rclone-md5" | "rclone-sha1" | "rclone-download";

/** One passing check of a copy: the evidence a person needs before deleting the original library. */
export interface HandoffProof {
  dest: string;
  kind: DestinationKind;
  verifiedAt: string;
  method: ProofMethod;
  /** Files and bytes proven (the whole manifest, or the sample when `samplePct` is set). */
  files: number;
  bytes: number;
  /** SHA-256 of manifest-sha256.txt itself: which manifest the copy was proven against. */
  manifestSha256: string;
  /** Percent re-read by `--sample`; null for a full check. */
  samplePct: number | null;
}

/** A destination with its latest full proof and latest check of any kind. */
export interface DestinationRecord {
  dest: string;
  kind: DestinationKind;
  addedAt: string;
  lastFullProof: HandoffProof | null;
  lastProof: HandoffProof | null;
  proofs: number;
}

/** The place name of the workspace itself in `fixity_reads` (destinations use their own name). */
export const WORKSPACE_PLACE = "";

function destinationId(cat: Catalog, dest: string, kind: DestinationKind): number {
  const found = cat.stmt("SELECT id FROM handoff_destinations WHERE dest = ?").get(dest) as { id: number } | undefined;
  if (found) return found.id;
  const r = cat.stmt("INSERT INTO handoff_destinations (dest, kind, added_at) VALUES (?, ?, ?)").run(dest, kind, new Date().toISOString());
  return Number(r.lastInsertRowid);
}

/** Record a passing check of a destination (a hand-off proof). */
export function recordHandoff(cat: Catalog, p: HandoffProof): void {
  cat.tx(() => {
    const id = destinationId(cat, p.dest, p.kind);
    cat
      .stmt(
        "INSERT INTO handoff_proofs (destination_id, verified_at, method, files, bytes, manifest_sha256, sample_pct) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run(id, p.verifiedAt, p.method, p.files, p.bytes, p.manifestSha256, p.samplePct);
  });
}

interface ProofRow {
  dest: string;
  kind: DestinationKind;
  verified_at: string;
  method: ProofMethod;
  files: number;
  bytes: number;
  manifest_sha256: string;
  sample_pct: number | null;
}

const toProof = (r: ProofRow | undefined): HandoffProof | null =>
  r
    ? { dest: r.dest, kind: r.kind, verifiedAt: r.verified_at, method: r.method, files: r.files, bytes: r.bytes, manifestSha256: r.manifest_sha256, samplePct: r.sample_pct }
    : null;

/** Every destination ever proven, with its last full proof and last check (for `archive report`). */
export function listDestinations(cat: Catalog): DestinationRecord[] {
  const dests = cat.stmt("SELECT id, dest, kind, added_at FROM handoff_destinations ORDER BY dest").all() as {
    id: number;
    dest: string;
    kind: DestinationKind;
    added_at: string;
  }[];
  const proof = (id: number, fullOnly: boolean) =>
    toProof(
      cat
        .stmt(
          `SELECT d.dest, d.kind, p.verified_at, p.method, p.files, p.bytes, p.manifest_sha256, p.sample_pct
           FROM handoff_proofs p JOIN handoff_destinations d ON d.id = p.destination_id
           WHERE p.destination_id = ? AND (? = 0 OR p.sample_pct IS NULL) ORDER BY p.verified_at DESC, p.id DESC LIMIT 1`,
        )
        .get(id, fullOnly ? 1 : 0) as ProofRow | undefined,
    );
  return dests.map((d) => ({
    dest: d.dest,
    kind: d.kind,
    addedAt: d.added_at,
    lastFullProof: proof(d.id, true),
    lastProof: proof(d.id, false),
    proofs: (cat.stmt("SELECT count(*) AS n FROM handoff_proofs WHERE destination_id = ?").get(d.id) as { n: number }).n,
  }));
}

/** Record that these files (workspace-relative) were re-read at `place` and matched the manifest. */
export function recordVerified(cat: Catalog, place: string, rels: Iterable<string>, at = new Date().toISOString()): void {
  const ins = cat.stmt(
    "INSERT INTO fixity_reads (place, rel_path, verified_at) VALUES (?, ?, ?) ON CONFLICT (place, rel_path) DO UPDATE SET verified_at = excluded.verified_at",
  );
  cat.tx(() => {
    for (const rel of rels) ins.run(place, rel, at);
  });
}

/**
 * The `count` files of `rels` least recently re-read at `place` (never read first, then oldest,
 * then by path): `--sample PCT` takes these, so 100/PCT runs cover every file.
 */
export function leastRecentlyVerified(cat: Catalog, place: string, rels: Iterable<string>, count: number): string[] {
  cat.db.exec("CREATE TEMP TABLE IF NOT EXISTS sample_candidates (rel_path TEXT PRIMARY KEY) WITHOUT ROWID; DELETE FROM sample_candidates;");
  const ins = cat.stmt("INSERT OR IGNORE INTO temp.sample_candidates (rel_path) VALUES (?)");
  cat.tx(() => {
    for (const rel of rels) ins.run(rel);
  });
  const rows = cat
    .stmt(
      `SELECT c.rel_path AS rel FROM temp.sample_candidates c
       LEFT JOIN fixity_reads f ON f.place = ? AND f.rel_path = c.rel_path
       ORDER BY f.verified_at IS NOT NULL, f.verified_at, c.rel_path LIMIT ?`,
    )
    .all(place, Math.max(0, count)) as { rel: string }[];
  cat.db.exec("DELETE FROM temp.sample_candidates");
  return rows.map((r) => r.rel);
}

/** How well the archive's outputs have been re-read at one place. */
export interface ScrubStats {
  place: string;
  /** Archived outputs (finished jobs with an output of their own, and kept older outputs). */
  files: number;
  neverVerified: number;
  /** The oldest re-read time among outputs that were read at least once (null if none). */
  oldestVerifiedAt: string | null;
  verifiedLast30Days: number;
  verifiedLast90Days: number;
}

/** Scrubbing statistics for `archive report`: oldest verification, re-read in the last 30/90 days. */
export function scrubStats(cat: Catalog, place = WORKSPACE_PLACE, now = Date.now()): ScrubStats {
  const d30 = new Date(now - 30 * 86400_000).toISOString();
  const d90 = new Date(now - 90 * 86400_000).toISOString();
  const r = cat
    .stmt(
      `SELECT count(*) AS files, sum(f.verified_at IS NULL) AS never, min(f.verified_at) AS oldest,
         sum(f.verified_at >= ?) AS d30, sum(f.verified_at >= ?) AS d90
       FROM (SELECT output_rel FROM jobs WHERE status = 'done' AND action <> 'duplicate' AND output_rel IS NOT NULL
             UNION SELECT output_rel FROM kept_outputs) o
       LEFT JOIN fixity_reads f ON f.place = ? AND f.rel_path = o.output_rel`,
    )
    .get(d30, d90, place) as { files: number; never: number | null; oldest: string | null; d30: number | null; d90: number | null };
  return {
    place,
    files: r.files,
    neverVerified: r.never ?? 0,
    oldestVerifiedAt: r.oldest,
    verifiedLast30Days: r.d30 ?? 0,
    verifiedLast90Days: r.d90 ?? 0,
  };
}

/** When a workspace file was last re-read and found intact (null if never). */
export function verifiedAtOf(cat: Catalog, rel: string, place = WORKSPACE_PLACE): string | null {
  const r = cat.stmt("SELECT verified_at FROM fixity_reads WHERE place = ? AND rel_path = ?").get(place, rel) as { verified_at: string } | undefined;
  return r?.verified_at ?? null;
}

/** One PAR2 recovery set under protection/. */
export interface ProtectionSet {
  id: number;
  batch: string;
  /** The main .par2 file, workspace-relative. */
  par2Rel: string;
  files: number;
  bytes: number;
  redundancy: number;
  blockSize: number;
  createdAt: string;
}

/** A file a set protects, with the bytes (SHA-256) it protects. */
export interface ProtectedFile {
  rel: string;
  sha256: string;
}

/** Record a new PAR2 set and the files (with their SHA-256) it protects; returns its id. */
export function addProtectionSet(cat: Catalog, set: Omit<ProtectionSet, "id">, members: readonly ProtectedFile[]): number {
  return cat.tx(() => {
    const r = cat
      .stmt("INSERT INTO protection_sets (batch, par2_rel, files, bytes, redundancy, block_size, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(set.batch, set.par2Rel, set.files, set.bytes, set.redundancy, set.blockSize, set.createdAt);
    const id = Number(r.lastInsertRowid);
    const ins = cat.stmt("INSERT INTO protection_members (set_id, rel_path, sha256) VALUES (?, ?, ?)");
    for (const m of members) ins.run(id, m.rel, m.sha256);
    return id;
  });
}

/** Every PAR2 set, oldest first. */
export function protectionSets(cat: Catalog): ProtectionSet[] {
  return cat
    .stmt(
      `SELECT id, batch, par2_rel AS par2Rel, files, bytes, redundancy, block_size AS blockSize, created_at AS createdAt
       FROM protection_sets ORDER BY id`,
    )
    .all() as ProtectionSet[];
}

/** The files one set protects. */
export function protectionMembers(cat: Catalog, setId: number): ProtectedFile[] {
  return cat.stmt("SELECT rel_path AS rel, sha256 FROM protection_members WHERE set_id = ? ORDER BY rel_path").all(setId) as ProtectedFile[];
}

/** Every protected (path, SHA-256) pair, keyed `sha256 + "  " + rel`, with the id of a set holding it. */
export function protectedFiles(cat: Catalog): Map<string, number> {
  const out = new Map<string, number>();
  const rows = cat.stmt("SELECT set_id, rel_path, sha256 FROM protection_members").iterate() as IterableIterator<{
    set_id: number;
    rel_path: string;
    sha256: string;
  }>;
  for (const r of rows) out.set(`${r.sha256}  ${r.rel_path}`, r.set_id);
  return out;
}

/** Forget a set whose .par2 files are gone (so its files count as unprotected again). */
export function removeProtectionSet(cat: Catalog, setId: number): void {
  cat.stmt("DELETE FROM protection_sets WHERE id = ?").run(setId);
}

/** Capture year of the item behind each archived output (output_rel -> year, null if undated). */
export function outputYears(cat: Catalog): Map<string, number | null> {
  const out = new Map<string, number | null>();
  const rows = cat
    .stmt(
      `SELECT j.output_rel AS rel, i.capture_year AS year FROM jobs j JOIN items i ON i.id = j.item_id
       WHERE j.status = 'done' AND j.output_rel IS NOT NULL AND j.action <> 'duplicate'
       UNION ALL SELECT k.output_rel, i.capture_year FROM kept_outputs k LEFT JOIN items i ON i.id = k.item_id`,
    )
    .iterate() as IterableIterator<{ rel: string; year: number | null }>;
  for (const r of rows) out.set(r.rel, r.year);
  return out;
}
