import Database from "better-sqlite3";
import { ArchiveError } from "./errors.js";

type DB = Database.Database;

/** Ordered schema migrations; `PRAGMA user_version` records how many have run. */
const MIGRATIONS: readonly string[] = [
  // 1: the first schema.
  `
  CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    root TEXT NOT NULL UNIQUE,
    added_at TEXT NOT NULL
  );
  CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    rel_path TEXT NOT NULL,
    name TEXT NOT NULL,
    dir TEXT NOT NULL,
    base_stem TEXT NOT NULL,
    variant TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ms INTEGER NOT NULL,
    dev INTEGER,
    ino INTEGER,
    format TEXT NOT NULL,
    kind TEXT NOT NULL,
    capture_local TEXT,
    capture_offset TEXT,
    capture_utc_ms INTEGER,
    capture_year INTEGER,
    capture_month INTEGER,
    capture_source TEXT,
    gps_lat REAL,
    gps_lon REAL,
    make TEXT,
    model TEXT,
    lens TEXT,
    width INTEGER,
    height INTEGER,
    orientation INTEGER,
    rotation INTEGER,
    duration REAL,
    codec TEXT,
    bit_depth INTEGER,
    hdr TEXT,
    icc TEXT,
    content_id TEXT,
    burst_id TEXT,
    needs_conversion INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    sha256 TEXT,
    scanned_at TEXT NOT NULL,
    last_seen_scan INTEGER,
    missing INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source_id, rel_path)
  );
  CREATE INDEX items_year ON items(capture_year);
  CREATE INDEX items_content ON items(content_id) WHERE content_id IS NOT NULL;
  CREATE INDEX items_burst ON items(burst_id) WHERE burst_id IS NOT NULL;
  CREATE INDEX items_size ON items(size);
  CREATE INDEX items_stem ON items(dir, base_stem);
  CREATE INDEX items_name ON items(source_id, name);
  CREATE INDEX items_sha ON items(sha256) WHERE sha256 IS NOT NULL;

  CREATE TABLE groups (
    id INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    key TEXT NOT NULL,
    UNIQUE (type, key)
  );
  CREATE TABLE group_members (
    group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (group_id, item_id)
  );
  CREATE INDEX group_members_item ON group_members(item_id);

  CREATE TABLE albums (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
  CREATE TABLE album_items (
    album_id INTEGER NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    PRIMARY KEY (album_id, item_id)
  );

  -- One row per source item once convert has handled it (the job journal):
  --   action: 'convert' (HEIC->JPEG, video->MP4), 'copy' (byte-exact), 'link' (hard link),
  --           'duplicate' (same bytes as item duplicate_of, which was archived instead)
  --   status: 'done' | 'failed' (reason says why) | 'skipped' (reason says why)
  --   output_rel: output path relative to the workspace root (e.g. converted/2019/IMG_1.jpg)
  --   source_size/source_mtime_ms: the source as it was, so a changed source is redone
  CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    output_rel TEXT,
    params TEXT,
    reason TEXT,
    output_size INTEGER,
    output_sha256 TEXT,
    source_size INTEGER,
    source_mtime_ms INTEGER,
    duplicate_of INTEGER,
    run_id INTEGER,
    updated_at TEXT NOT NULL,
    UNIQUE (item_id)
  );
  CREATE INDEX jobs_output ON jobs(lower(output_rel));

  CREATE TABLE file_hashes (
    rel_path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ms INTEGER NOT NULL,
    ino INTEGER,
    sha256 TEXT NOT NULL,
    hashed_at TEXT NOT NULL
  );

  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    command TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT,
    summary TEXT
  );
  `,
];

/** The current schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The SQLite catalog of one workspace. Create with `openCatalog`, close in `finally`. */
export class Catalog {
  readonly db: DB;
  constructor(db: DB) {
    this.db = db;
  }

  /** Run `fn` in one transaction (all or nothing). */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  startRun(command: string): number {
    const r = this.db
      .prepare("INSERT INTO runs (command, started_at) VALUES (?, ?)")
      .run(command, new Date().toISOString());
    return Number(r.lastInsertRowid);
  }

  finishRun(id: number, status: string, summary: unknown): void {
    this.db
      .prepare("UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?")
      .run(new Date().toISOString(), status, JSON.stringify(summary), id);
  }

  /** The latest finished run of a command, with its parsed summary. */
  lastRun<T = unknown>(command: string): { id: number; finishedAt: string; status: string; summary: T } | null {
    const row = this.db
      .prepare(
        "SELECT id, finished_at, status, summary FROM runs WHERE command = ? AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1",
      )
      .get(command) as { id: number; finished_at: string; status: string; summary: string } | undefined;
    if (!row) return null;
    return { id: row.id, finishedAt: row.finished_at, status: row.status, summary: JSON.parse(row.summary) as T };
  }

  sourceId(root: string): number {
    const found = this.db.prepare("SELECT id FROM sources WHERE root = ?").get(root) as { id: number } | undefined;
    if (found) return found.id;
    const r = this.db.prepare("INSERT INTO sources (root, added_at) VALUES (?, ?)").run(root, new Date().toISOString());
    return Number(r.lastInsertRowid);
  }

  sources(): { id: number; root: string }[] {
    return this.db.prepare("SELECT id, root FROM sources ORDER BY id").all() as { id: number; root: string }[];
  }

  /** Iterate rows of a query without holding them all in memory. */
  *iterate<T>(sql: string, ...params: unknown[]): IterableIterator<T> {
    yield* this.db.prepare(sql).iterate(...params) as IterableIterator<T>;
  }

  close(): void {
    if (this.db.open) {
      try {
        this.db.pragma("wal_checkpoint(TRUNCATE)");
      } catch {
        // another reader may hold the WAL; closing still leaves a consistent database
      }
      this.db.close();
    }
  }
}

/** Open (creating and migrating) the catalog database at `file`. */
export function openCatalog(file: string, options: { readonly?: boolean } = {}): Catalog {
  let db: DB;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (err) {
    throw new ArchiveError("E_CATALOG", `cannot open the catalog at ${file}`, { cause: err });
  }
  db.pragma("busy_timeout = 10000");
  if (!options.readonly) {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    migrate(db);
  }
  return new Catalog(db);
}

function migrate(db: DB): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new ArchiveError(
      "E_CATALOG",
      `the catalog has schema version ${current}, newer than this archive (${MIGRATIONS.length}); update archive`,
    );
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
