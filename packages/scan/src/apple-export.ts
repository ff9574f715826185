import { readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import type { Catalog, CollectionKind, CsvItem } from "@archive/core";
import {
  addOrphanRow,
  addToCollection,
  applyDetailRow,
  clearCollections,
  clearEmptyExportCsvErrors,
  csvItems,
  exportItemsNamed,
  markRecentlyDeleted,
  openExportPart,
  partItemsNamed,
  reasonOf,
  sharedAlbumCandidates,
  ZipPart,
} from "@archive/core";
import { ALBUM_COLUMNS, MEMORY_COLUMNS, parseNameList, parsePhotoDetails, type CsvProblem, type PhotoDetailRow } from "./csv.js";

export type { CsvProblem };

/** A CSV met by the scan: a file, or a zip member whose bytes were read while listing the zip. */
export interface ExportCsv {
  sourceId: number;
  /** Path relative to the source root (for a zip member: zip path within the source + member). */
  relPath: string;
  read(): Promise<Buffer>;
}

/** What the export reader found: parts recognised, CSV rows applied, problems with reasons. */
export interface ExportResult {
  parts: number;
  rows: number;
  rowsWithoutFile: number;
  problems: CsvProblem[];
}

const dirOf = (rel: string) => (posix.dirname(rel) === "." ? "" : posix.dirname(rel));

/**
 * The part a Photo Details CSV belongs to: the folder above `Photos/` (Apple's layout), else the
 * CSV's own folder. Rows are joined to files of this part only: names repeat across parts.
 */
export function partScope(csvRel: string): string {
  const dir = dirOf(csvRel);
  return posix.basename(dir).toLowerCase() === "photos" ? dirOf(dir) : dir;
}

/**
 * Apply Apple privacy-export CSVs (issue 10). A part is recognised by its Photo Details header,
 * never by a name; every column is stored on the item the row names within its own part;
 * `Recently Deleted/` items are marked deleted; album and memory CSVs (their own part first,
 * then any part) and `My Albums/<album>/` folders of shared-album zips become collections. CSV
 * names are only compared with catalogued names, never used as paths.
 */
export async function applyExport(catalog: Catalog, csvs: readonly ExportCsv[]): Promise<ExportResult> {
  const result: ExportResult = { parts: 0, rows: 0, rowsWithoutFile: 0, problems: [] };
  const details = new Map<string, { sourceId: number; scope: string; files: { rel: string; rows: PhotoDetailRow[] }[] }>();
  const lists: { csv: ExportCsv; kind: CollectionKind; buf: Buffer }[] = [];
  for (const csv of [...csvs].sort((a, b) => a.sourceId - b.sourceId || a.relPath.localeCompare(b.relPath))) {
    let buf: Buffer;
    try {
      buf = await csv.read();
    } catch (err) {
      result.problems.push({ path: csv.relPath, reason: `cannot read CSV: ${reasonOf(err)}` });
      continue;
    }
    const parsed = parsePhotoDetails(buf, csv.relPath);
    const folder = posix.basename(dirOf(csv.relPath)).toLowerCase();
    if (parsed && (buf.length > 0 || /^photo details/i.test(posix.basename(csv.relPath)))) {
      result.problems.push(...parsed.problems);
      const scope = partScope(csv.relPath);
      const key = `${csv.sourceId}\0${scope}`;
      const group = details.get(key) ?? { sourceId: csv.sourceId, scope, files: [] };
      group.files.push({ rel: csv.relPath, rows: parsed.rows });
      details.set(key, group);
    } else if (folder === "albums" || folder === "memories") {
      lists.push({ csv, kind: folder === "albums" ? "album" : "memory", buf });
    }
  }
  const parts = new Map<string, number>();
  for (const group of details.values()) {
    const partId = applyPart(catalog, group, result);
    parts.set(`${group.sourceId}\0${group.scope}`, partId);
    result.parts++;
  }
  catalog.tx(() => {
    clearCollections(catalog);
    for (const l of lists) applyNameList(catalog, l, parts, result);
    applySharedAlbums(catalog);
    clearEmptyExportCsvErrors(catalog);
  });
  return result;
}

function applyPart(
  catalog: Catalog,
  group: { sourceId: number; scope: string; files: { rel: string; rows: PhotoDetailRow[] }[] },
  result: ExportResult,
): number {
  const label = posix.basename(group.scope) || "(library root)";
  const partId = openExportPart(catalog, group.sourceId, group.scope, label);
  catalog.tx(() => {
    for (const file of group.files) {
      for (const row of file.rows) {
        result.rows++;
        const items = partItemsNamed(catalog, partId, row.name);
        if (!items.length) {
          result.rowsWithoutFile++;
          addOrphanRow(catalog, partId, file.rel, row.line, row.name, row.created ? `originalCreationDate ${row.created.local}Z` : null);
          continue;
        }
        const values = {
          checksum: row.checksum,
          favorite: row.favorite,
          hidden: row.hidden,
          deleted: row.deleted,
          viewCount: row.viewCount,
          importedUtcMs: row.imported?.utcMs ?? null,
          created: row.created,
        };
        for (const item of items) applyDetailRow(catalog, item.id, values);
      }
    }
    markRecentlyDeleted(catalog, partId, group.scope);
  });
  return partId;
}

function applyNameList(
  catalog: Catalog,
  l: { csv: ExportCsv; kind: CollectionKind; buf: Buffer },
  parts: Map<string, number>,
  result: ExportResult,
): void {
  const { names, problems } = parseNameList(l.buf, l.csv.relPath, l.kind === "album" ? ALBUM_COLUMNS : MEMORY_COLUMNS);
  result.problems.push(...problems);
  const name = posix.basename(l.csv.relPath).replace(/\.csv$/i, "").normalize("NFC");
  // Albums/ sits beside Photos/ in its part
  const ownPart = parts.get(`${l.csv.sourceId}\0${dirOf(dirOf(l.csv.relPath))}`);
  const ids: number[] = [];
  for (const n of names) {
    const own = ownPart === undefined ? [] : partItemsNamed(catalog, ownPart, n.name);
    const found = own.length ? own.map((i) => i.id) : exportItemsNamed(catalog, n.name).map((i) => i.id);
    if (found.length) ids.push(...found);
    else if (ownPart !== undefined) {
      result.rowsWithoutFile++;
      addOrphanRow(catalog, ownPart, l.csv.relPath, n.line, n.name, `${l.kind} ${name}`);
    } else result.problems.push({ path: l.csv.relPath, reason: `line ${n.line}: ${n.name} names no file of any export part` });
  }
  addToCollection(catalog, l.kind, name, ids);
}

/** `…/iCloud Shared Albums*.zip/My Albums/<album>/file` (or the extracted folder): the album's name. */
export function sharedAlbumOf(relPath: string): string | null {
  const seg = relPath.split("/");
  const at = seg.lastIndexOf("My Albums");
  if (at < 1 || at + 2 >= seg.length) return null;
  if (!/^iCloud Shared Albums/i.test(seg[at - 1]!)) return null;
  return seg[at + 1]!.normalize("NFC");
}

function applySharedAlbums(catalog: Catalog): void {
  const byAlbum = new Map<string, number[]>();
  for (const item of sharedAlbumCandidates(catalog)) {
    const album = sharedAlbumOf(item.rel_path);
    if (album) byAlbum.set(album, [...(byAlbum.get(album) ?? []), item.id]);
  }
  for (const [album, ids] of byAlbum) addToCollection(catalog, "shared", album, ids);
}

/**
 * Read every CSV the catalog holds (files and zip-part members, all sources) and apply them
 * together: album CSVs name files of every part, and parts may be separate zips planned one
 * after another, so each plan re-applies the whole export. Problems of `onlySource` are returned.
 */
export async function applyLibraryExports(catalog: Catalog, onlySource?: number): Promise<ExportResult> {
  const items = csvItems(catalog);
  const fromZip = zipCsvReader(items);
  const csvs: ExportCsv[] = items.map((it) => ({
    sourceId: it.sourceId,
    relPath: it.relPath,
    read: () => (it.container !== null && it.member !== null ? fromZip(it.container, it.member) : readFile(join(it.root, it.relPath))),
  }));
  const result = await applyExport(catalog, csvs);
  if (onlySource !== undefined) {
    const mine = new Set(items.filter((i) => i.sourceId === onlySource).map((i) => i.relPath));
    result.problems = result.problems.filter((p) => mine.has(p.path));
  }
  return result;
}

/** A CSV larger than this is read only this far (a 100,000-row Photo Details CSV is ~10 MB). */
const MAX_CSV_BYTES = 64 * 1024 * 1024;

/** Reads the CSV members of each zip in one pass over its central directory, on first need. */
function zipCsvReader(items: readonly CsvItem[]): (zip: string, member: string) => Promise<Buffer> {
  const wanted = new Map<string, Set<string>>();
  for (const it of items) {
    if (it.container === null || it.member === null) continue;
    wanted.set(it.container, (wanted.get(it.container) ?? new Set()).add(it.member));
  }
  const loaded = new Map<string, Promise<Map<string, Buffer>>>();
  return async (zip, member) => {
    let all = loaded.get(zip);
    if (!all) loaded.set(zip, (all = readMembers(zip, wanted.get(zip) ?? new Set())));
    const buf = (await all).get(member);
    if (!buf) throw new Error(`${member} is no longer in ${zip}`);
    return buf;
  };
}

async function readMembers(zip: string, names: ReadonlySet<string>): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const part = await ZipPart.open(zip);
  try {
    for await (const m of part.members()) if (!("reason" in m) && names.has(m.path)) out.set(m.path, await part.head(m, MAX_CSV_BYTES));
  } finally {
    await part.close();
  }
  return out;
}

/** The folder scan's call: applies the whole library's export; returns this source's problems. */
export async function applyExportCsvs(catalog: Catalog, sourceId: number, _source: string, _csvFiles: string[]): Promise<CsvProblem[]> {
  return (await applyLibraryExports(catalog, sourceId)).problems;
}
