import Database from "better-sqlite3";
import { ArchiveError } from "../errors.js";
import { MIGRATIONS } from "./schema.js";

type DB = Database.Database;

/** The SQLite catalog of one workspace. Create with `openCatalog`, close in `finally`. */
export class Catalog {
  /** The database handle: for code inside packages/core/src/catalog/ only. */
  readonly db: DB;
  private readonly cache = new Map<string, Database.Statement>();
  constructor(db: DB) {
    this.db = db;
  }

  /** Run `fn` in one transaction (all or nothing). */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /**
   * A prepared statement, cached per catalog. Internal to packages/core/src/catalog/: other
   * packages call the named query functions exported from this folder, never SQL.
   */
  stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  /** Read the schema once: opening a WAL database read-only fails here, not at the first query. */
  probe(): void {
    this.db.prepare("SELECT count(*) FROM sqlite_master").get();
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
