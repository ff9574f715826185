import { posix, join } from "node:path";
import type { Catalog } from "@archive/core";
import { reasonOf } from "@archive/core";
import { readAlbumCsv, readPhotoDetails, type CsvProblem } from "./csv.js";

export type { CsvProblem };

/** Capture sources an Apple CSV date may replace: only guesses, never a time the file itself records. */
const REPLACEABLE = "(capture_source IS NULL OR capture_source IN ('filename', 'mtime'))";

function inScope(scope: string, rel: string): boolean {
  return scope === "" || rel.startsWith(scope + "/");
}

/**
 * Apply Apple privacy-export CSVs: "Photo Details*.csv" gives `originalCreationDate` for files that
 * carry no date of their own; "Albums/NAME.csv" gives album membership. CSV file names are only
 * compared with catalogued names inside the CSV's own export part; they are never used as paths.
 */
export async function applyExportCsvs(catalog: Catalog, sourceId: number, source: string, csvFiles: string[]): Promise<CsvProblem[]> {
  const problems: CsvProblem[] = [];
  const db = catalog.db;
  const byName = db.prepare("SELECT id, rel_path FROM items WHERE source_id = ? AND name = ? AND missing = 0");
  const setDate = db.prepare(
    `UPDATE items SET capture_local = ?, capture_offset = ?, capture_utc_ms = ?, capture_year = ?, capture_month = ?,
     capture_source = 'csv' WHERE id = ? AND ${REPLACEABLE}`,
  );
  const album = db.prepare("INSERT INTO albums (name) VALUES (?) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id");
  const member = db.prepare("INSERT OR IGNORE INTO album_items (album_id, item_id) VALUES (?, ?)");
  for (const rel of csvFiles.sort()) {
    const base = posix.basename(rel);
    const dir = posix.dirname(rel) === "." ? "" : posix.dirname(rel);
    try {
      if (/^photo details.*\.csv$/i.test(base)) {
        const { rows, problems: p } = await readPhotoDetails(join(source, rel));
        problems.push(...p.map((x) => ({ ...x, path: rel })));
        catalog.tx(() => {
          for (const row of rows) {
            if (!row.created) continue;
            for (const item of byName.all(sourceId, row.name) as { id: number; rel_path: string }[]) {
              if (!inScope(dir, item.rel_path)) continue;
              const c = row.created;
              setDate.run(c.local, c.offset, c.utcMs, c.year, c.month, item.id);
            }
          }
        });
      } else if (posix.basename(dir).toLowerCase() === "albums") {
        const scope = posix.dirname(dir) === "." ? "" : posix.dirname(dir);
        const { names, problems: p } = await readAlbumCsv(join(source, rel));
        problems.push(...p.map((x) => ({ ...x, path: rel })));
        const albumName = base.replace(/\.csv$/i, "").normalize("NFC");
        catalog.tx(() => {
          const { id } = album.get(albumName) as { id: number };
          for (const name of names) {
            for (const item of byName.all(sourceId, name) as { id: number; rel_path: string }[]) {
              if (inScope(scope, item.rel_path)) member.run(id, item.id);
            }
          }
        });
      }
    } catch (err) {
      problems.push({ path: rel, reason: `cannot read CSV: ${reasonOf(err)}` });
    }
  }
  return problems;
}
