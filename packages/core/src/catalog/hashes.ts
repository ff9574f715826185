// Catalog queries: file_hashes (the hash cache; owner: the pool helper) and manifest queries
// (owner: verify package).
import type { Catalog } from "./db.js";

/** A file's identity for the hash cache: unchanged size, mtime and inode mean unchanged bytes. */
export interface FileIdentity {
  size: number;
  mtimeMs: number;
  ino: number;
}

/** One row of `file_hashes`: the SHA-256 of a workspace file as it was when hashed. */
export interface FileHashRow {
  rel_path: string;
  size: number;
  mtime_ms: number;
  ino: number | null;
  sha256: string;
  hashed_at: string;
}

/** The cached row for a workspace-relative path, whatever its identity (undefined if none). */
export function fileHashRow(cat: Catalog, rel: string): FileHashRow | undefined {
  return cat.stmt("SELECT rel_path, size, mtime_ms, ino, sha256, hashed_at FROM file_hashes WHERE rel_path = ?").get(rel) as
    | FileHashRow
    | undefined;
}

/** The cached SHA-256 of `rel` when the file is unchanged (same size, mtime and inode), else undefined. */
export function cachedFileHash(cat: Catalog, rel: string, id: FileIdentity): string | undefined {
  const row = fileHashRow(cat, rel);
  if (!row) return undefined;
  // mtimes are stored in whole milliseconds; a row written before inodes were kept matches any inode
  const same = row.size === id.size && row.mtime_ms === Math.round(id.mtimeMs) && (row.ino ?? id.ino) === id.ino;
  return same ? row.sha256 : undefined;
}

/** Remember the SHA-256 of `rel` as it is now (replaces any earlier value). */
export function storeFileHash(cat: Catalog, rel: string, id: FileIdentity, sha256: string): void {
  cat
    .stmt(
      `INSERT INTO file_hashes (rel_path, size, mtime_ms, ino, sha256, hashed_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (rel_path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, ino = excluded.ino,
       sha256 = excluded.sha256, hashed_at = excluded.hashed_at`,
    )
    .run(rel, id.size, Math.round(id.mtimeMs), id.ino, sha256, new Date().toISOString());
}
