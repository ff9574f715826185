// The catalog's schema, its migrations, and the shape of every row, declared once.
// Every SQL statement of the project lives in this folder (packages/core/src/catalog/), behind
// named, typed functions; other packages never see SQL.
import type { CaptureSource, Format } from "../media.js";

/** Ordered schema migrations; `PRAGMA user_version` records how many have run. */
export const MIGRATIONS: readonly string[] = [
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
  // hand-off (issue 11): destinations with their proofs, per-file re-read times (scrubbing),
  // and the PAR2 recovery sets with the exact bytes (SHA-256) each set protects.
  `
  CREATE TABLE handoff_destinations (
    id INTEGER PRIMARY KEY,
    dest TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    added_at TEXT NOT NULL
  );
  CREATE TABLE handoff_proofs (
    id INTEGER PRIMARY KEY,
    destination_id INTEGER NOT NULL REFERENCES handoff_destinations(id),
    verified_at TEXT NOT NULL,
    method TEXT NOT NULL,
    files INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    sample_pct REAL
  );
  CREATE TABLE fixity_reads (
    place TEXT NOT NULL,
    rel_path TEXT NOT NULL,
    verified_at TEXT NOT NULL,
    PRIMARY KEY (place, rel_path)
  ) WITHOUT ROWID;
  CREATE TABLE protection_sets (
    id INTEGER PRIMARY KEY,
    batch TEXT NOT NULL,
    par2_rel TEXT NOT NULL UNIQUE,
    files INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    redundancy INTEGER NOT NULL,
    block_size INTEGER NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE protection_members (
    set_id INTEGER NOT NULL REFERENCES protection_sets(id) ON DELETE CASCADE,
    rel_path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (set_id, rel_path)
  );
  CREATE INDEX protection_members_rel ON protection_members(rel_path);
  `,
  // scan (issue 14 #4, #8): what the walk met but could not catalog (unreadable folders, links,
  // FIFOs/devices, vanished entries, names that are not UTF-8), kept until a later scan no longer
  // meets it or the user accepts it; an item's unreadable reason can be accepted too; a file
  // whose extension promises another format than its content records that extension.
  `
  CREATE TABLE problems (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    scan_run INTEGER,
    first_seen TEXT NOT NULL,
    accepted_at TEXT,
    UNIQUE (source_id, path)
  );
  ALTER TABLE items ADD COLUMN accepted_at TEXT;
  ALTER TABLE items ADD COLUMN ext_mismatch TEXT;
  `,
  // Apple's exports (issue 10): an item may be a zip member (container = the zip file, nested =
  // the member path of a zip inside it, member = the path inside); export parts recognised by
  // their Photo Details CSV; every CSV column per item; albums, memories and shared albums as
  // collections of a kind; CSV rows that name no file.
  `
  ALTER TABLE items ADD COLUMN container TEXT;
  ALTER TABLE items ADD COLUMN nested TEXT;
  ALTER TABLE items ADD COLUMN member TEXT;
  ALTER TABLE items ADD COLUMN export_part INTEGER;
  ALTER TABLE items ADD COLUMN csv_named INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE items ADD COLUMN favorite INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE items ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE items ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE items ADD COLUMN csv_checksum TEXT;
  ALTER TABLE items ADD COLUMN view_count INTEGER;
  ALTER TABLE items ADD COLUMN imported_utc_ms INTEGER;
  CREATE INDEX items_part ON items(export_part) WHERE export_part IS NOT NULL;
  CREATE TABLE export_parts (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    scope TEXT NOT NULL,
    label TEXT NOT NULL,
    UNIQUE (source_id, scope)
  );
  CREATE TABLE export_orphan_rows (
    part_id INTEGER NOT NULL REFERENCES export_parts(id) ON DELETE CASCADE,
    csv TEXT NOT NULL,
    line INTEGER NOT NULL,
    name TEXT NOT NULL,
    detail TEXT,
    PRIMARY KEY (part_id, csv, line)
  );
  CREATE TABLE collections (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('album', 'memory', 'shared')),
    name TEXT NOT NULL,
    UNIQUE (kind, name)
  );
  CREATE TABLE collection_items (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    PRIMARY KEY (collection_id, item_id)
  ) WITHOUT ROWID;
  CREATE INDEX collection_items_item ON collection_items(item_id);
  `,
  // Older outputs kept when a source's content changed after it was archived (convert never
  // replaces an archived output unasked): the job row they had, moved here, so the manifest keeps
  // their lines. No foreign key: this is evidence, it outlives the item's row.
  `
  CREATE TABLE kept_outputs (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL,
    action TEXT NOT NULL,
    output_rel TEXT NOT NULL,
    params TEXT,
    output_size INTEGER,
    output_sha256 TEXT,
    source_size INTEGER,
    source_mtime_ms INTEGER,
    run_id INTEGER,
    journalled_at TEXT NOT NULL,
    kept_at TEXT NOT NULL,
    reason TEXT NOT NULL
  );
  CREATE INDEX kept_outputs_item ON kept_outputs(item_id);
  CREATE UNIQUE INDEX kept_outputs_output ON kept_outputs(lower(output_rel));
  `,
  // Which plan first catalogued a source: a first answer to "which export is newest", replaced
  // by the next migration's export_parts.exported_day (planning order is not export order).
  // Nothing reads or writes it any more; kept so the migration count of existing catalogs holds.
  `
  ALTER TABLE sources ADD COLUMN plan_gen INTEGER;
  UPDATE sources SET plan_gen = 0;
  `,
  // The day an export part was made (its newest member's timestamp: Apple stamps every member
  // with the export's time), so the newest export decides, whichever order the parts are planned in.
  `
  ALTER TABLE export_parts ADD COLUMN exported_day INTEGER;
  `,
];

/** The current schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** What convert did with an item (the job journal's `action`). */
export type JobAction = "convert" | "copy" | "link" | "duplicate";
/** How a job ended (the job journal's `status`); 'pending' = reserved, output not yet renamed into place. */
export type JobStatus = "pending" | "done" | "failed" | "skipped";

/** A file the archive itself wrote, from the job journal (catalog/verify.ts `archivedOutputs`). */
export interface ArchivedOutputRow {
  /** Workspace-relative path. */
  rel: string;
  itemId: number;
  /** The SHA-256 convert recorded for it (lower-case hex); null when the journal has none. */
  sha256: string | null;
  size: number | null;
}

/** A present source item with its job, and the item a 'duplicate' job names (catalog/verify.ts). */
export interface CompletenessRow {
  id: number;
  relPath: string;
  root: string;
  kind: string;
  error: string | null;
  action: JobAction | null;
  status: JobStatus | null;
  outputRel: string | null;
  outputSha256: string | null;
  params: string | null;
  reason: string | null;
  duplicateOf: number | null;
  /** 1 when the item named by duplicate_of is in the catalog. */
  origKnown: number;
  origRelPath: string | null;
  origStatus: JobStatus | null;
  origOutputRel: string | null;
}

/** One member of a Live Photo group (catalog/verify.ts `livePhotoMembers`). */
export interface LiveMemberRow {
  key: string;
  itemId: number;
  relPath: string;
}

/** A converted item's catalog fields for metadata parity (catalog/verify.ts `parityRows`). */
export interface ParityRow {
  id: number;
  rel_path: string;
  root: string;
  kind: string;
  capture_local: string | null;
  capture_offset: string | null;
  gps_lat: number | null;
  gps_lon: number | null;
  make: string | null;
  model: string | null;
  width: number | null;
  height: number | null;
  orientation: number | null;
  rotation: number | null;
  duration: number | null;
  content_id: string | null;
  output_rel: string;
  /** The job's params JSON (its `gainMap` is "off" when convert was asked for no HDR gain map). */
  params: string | null;
}

/** One row of the job journal (`jobs`). */
export interface JobRow {
  id: number;
  item_id: number;
  action: JobAction;
  status: JobStatus;
  output_rel: string | null;
  /** JSON: the conversion's parameters, warnings, `original` (--keep-originals), `replaced` (--redo). */
  params: string | null;
  reason: string | null;
  output_size: number | null;
  output_sha256: string | null;
  source_size: number | null;
  source_mtime_ms: number | null;
  duplicate_of: number | null;
  run_id: number | null;
  updated_at: string;
}

/** An older output kept when its source changed after it was archived (`kept_outputs`). */
export interface KeptOutputRow {
  item_id: number;
  action: JobAction;
  output_rel: string;
  output_sha256: string | null;
  journalled_at: string;
  kept_at: string;
  reason: string;
}

/** An item as convert reads it (catalog/jobs.ts `selectedItems`), with its Live Photo group and role. */
export interface ConvertItemRow {
  id: number;
  source_id: number;
  root: string;
  rel_path: string;
  name: string;
  size: number;
  mtime_ms: number;
  ino: number | null;
  format: string;
  kind: string;
  capture_utc_ms: number | null;
  capture_year: number | null;
  capture_month: number | null;
  width: number | null;
  height: number | null;
  orientation: number | null;
  make: string | null;
  needs_conversion: number;
  error: string | null;
  sha256: string | null;
  live_group: number | null;
  live_role: string | null;
}

/** The fields `scan` writes for one source file (`items`, without ids and scan bookkeeping). */
export interface ItemRecord {
  rel_path: string;
  name: string;
  dir: string;
  base_stem: string;
  variant: string;
  size: number;
  mtime_ms: number;
  dev: number | null;
  ino: number | null;
  format: Format;
  kind: string;
  capture_local: string | null;
  capture_offset: string | null;
  capture_utc_ms: number | null;
  capture_year: number | null;
  capture_month: number | null;
  capture_source: CaptureSource | null;
  gps_lat: number | null;
  gps_lon: number | null;
  make: string | null;
  model: string | null;
  lens: string | null;
  width: number | null;
  height: number | null;
  orientation: number | null;
  rotation: number | null;
  duration: number | null;
  codec: string | null;
  bit_depth: number | null;
  hdr: string | null;
  icc: string | null;
  content_id: string | null;
  burst_id: string | null;
  needs_conversion: number;
  /** Why the file cannot be archived (unreadable, corrupt, empty); null when fine. */
  error: string | null;
  /** The extension (lower-case, no dot) when it promises another format than the content; else null. */
  ext_mismatch: string | null;
}

/** One row of `items`: the scan's record plus its identity and bookkeeping. */
export interface ItemRow extends ItemRecord {
  id: number;
  source_id: number;
  sha256: string | null;
  scanned_at: string;
  last_seen_scan: number | null;
  missing: number;
  /** When the user accepted the item's unreadable reason (`acceptUnresolved`); reset when it changes. */
  accepted_at: string | null;
}

/** What kind of thing the walk met but could not catalog (`problems.kind`). */
export type ProblemKind =
  /** a folder that cannot be opened or listed */
  | "unreadable-folder"
  /** an entry whose lstat failed (not "gone") */
  | "unreadable"
  /** listed by its folder but gone when looked at */
  | "vanished"
  /** a link to a folder (never followed: skipped) */
  | "link"
  /** a dangling link or a link loop (what it names cannot be read) */
  | "broken-link"
  /** a FIFO, socket or device */
  | "special"
  /** a name that is not valid UTF-8 (the catalog and manifests could not name it faithfully) */
  | "name";

/** A walk problem as `scan` records it (catalog/problems.ts). */
export interface WalkProblem {
  path: string;
  kind: ProblemKind;
  reason: string;
}

/** Something unreadable or skipped that is not archived: an item's reason or a walk problem (catalog/problems.ts). */
export interface UnresolvedRow {
  sourceId: number;
  root: string;
  /** Path relative to the source root. */
  path: string;
  /** "item" for a catalogued file that cannot be archived; else the walk problem's kind. */
  kind: ProblemKind | "item";
  reason: string;
  /** When the user accepted it (null: still unresolved). */
  acceptedAt: string | null;
}

/** A dedupe candidate as a raw row (catalog/dedupe.ts `candidatesOfSize`): id, source_id, rel_path, size, mtime_ms, dev, ino, sha256, missing. */
export type DedupeCandidateRaw = [number, number, string, number, number, number | null, number | null, string | null, number];

/** The keeper rule's facts about one item (catalog/dedupe.ts `keeperFacts`); flags are 0/1. */
export interface KeeperFactRow {
  id: number;
  archived: number;
  in_album: number;
  capture_utc_ms: number | null;
}

/** One walked archive file with the item whose finished job wrote it (catalog/dedupe.ts `archiveWalkOfSize`). */
export interface ArchiveWalkRow {
  id: number;
  rel: string;
  size: number;
  mtime_ms: number;
  dev: number;
  ino: number;
  item_id: number | null;
  capture_utc_ms: number | null;
  in_album: number;
}

/** How much of the catalogued library is new content for the archive (what `plan` and `dedupe` show). */
export interface NewContent {
  /** Present source files. */
  files: number;
  /** ... whose current content is archived by a job of their own. */
  archived: number;
  /** ... whose bytes are already archived under another item (any name, any export). */
  alreadyArchivedContent: number;
  /** ... current duplicates of another not-yet-archived file (only one copy will be archived). */
  duplicates: number;
  /** What is left: files (and bytes) the next convert will actually archive. */
  newFiles: number;
  newBytes: number;
  /** New files whose SHA-256 is not known: run `archive dedupe` to hash size collisions. */
  unhashed: number;
}

/** What an incremental scan compares (catalog/scan.ts `scannedItem`) to decide whether a file must be read again. */
export interface ScannedIdentity {
  id: number;
  size: number;
  mtime_ms: number;
  ino: number | null;
}

/** Files, bytes and estimated output of one capture day, year/month/day null when undated (catalog/plan.ts `planDays`). */
export interface DayRow {
  year: number | null;
  month: number | null;
  day: number | null;
  files: number;
  bytes: number;
  photos: number;
  videos: number;
  out: number;
}
