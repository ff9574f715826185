import { readFile } from "node:fs/promises";
import type { CaptureTime } from "@archive/core";
import { parseCaptureTime } from "@archive/core";

/** Decode CSV bytes: UTF-8 (BOM optional), UTF-16 with BOM, else Latin-1 when UTF-8 is invalid. */
export function decodeText(buf: Buffer): string {
  if (buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString("utf16le");
  if (buf[0] === 0xfe && buf[1] === 0xff) return Buffer.from(buf.subarray(2)).swap16().toString("utf16le");
  const start = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(start));
  } catch {
    return buf.subarray(start).toString("latin1");
  }
}

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF; returns rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0]!.trim() === ""));
}

const MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

/**
 * Apple privacy-export dates: "Monday June 5,2023 7:33 PM GMT" (also ISO forms). Apple writes
 * them in GMT, so the capture time is recorded in UTC with offset +00:00.
 */
export function parseAppleCsvDate(raw: string): CaptureTime | null {
  const s = raw.trim();
  const iso = parseCaptureTime(s);
  if (iso) return iso;
  const m = /([A-Za-z]+)\s+(\d{1,2}),\s*(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?\s*(GMT|UTC|Z)?\s*([+\-]\d{2}:?\d{2})?/i.exec(s);
  if (!m) return null;
  const month = MONTHS.indexOf(m[1]!.toLowerCase()) + 1;
  if (month === 0) return null;
  let hour = Number(m[4]);
  const ampm = m[7]?.toUpperCase();
  if (ampm === "PM" && hour < 12) hour += 12;
  if (ampm === "AM" && hour === 12) hour = 0;
  const pad = (n: number | string) => String(n).padStart(2, "0");
  const offset = m[9] ?? (m[8] ? "+00:00" : "+00:00");
  return parseCaptureTime(`${m[3]}:${pad(month)}:${pad(m[2]!)} ${pad(hour)}:${m[5]}:${m[6] ?? "00"}${offset}`);
}

/** The exact header of Apple's "Photo Details*.csv": a part is recognised by it, never by its name. */
export const PHOTO_DETAILS_HEADER = "imgName,fileChecksum,favorite,hidden,deleted,originalCreationDate,viewCount,importDate";

/** One row of a "Photo Details*.csv", every column kept. */
export interface PhotoDetailRow {
  /** 1-based line in the CSV (the header is line 1). */
  line: number;
  name: string;
  /** Apple's identity key for the item; not a content hash. */
  checksum: string | null;
  favorite: boolean;
  hidden: boolean;
  deleted: boolean;
  created: CaptureTime | null;
  viewCount: number | null;
  imported: CaptureTime | null;
}

export interface CsvProblem {
  path: string;
  reason: string;
}

/** True when the bytes start with the Photo Details header (BOM and surrounding spaces allowed). */
export function isPhotoDetails(buf: Buffer): boolean {
  const text = decodeText(buf.subarray(0, 4096));
  const first = text.split(/\r?\n/, 1)[0] ?? "";
  return first.split(",").map((h) => h.trim()).join(",") === PHOTO_DETAILS_HEADER;
}

function flag(raw: string | undefined): boolean | null {
  const v = raw?.trim().toLowerCase();
  if (v === "yes" || v === "true" || v === "1") return true;
  if (v === "no" || v === "false" || v === "0" || v === "") return false;
  return null;
}

/**
 * Apple quotes its dates ("Saturday June 4,2022 12:11 PM GMT" holds a comma; immich-go's test
 * data has them quoted too), but a hand-made or re-saved CSV may not: a row with extra fields
 * where originalCreationDate (field 6) and then importDate (field 8) rejoined with the comma give
 * a valid Apple date is read as if quoted. Anything else is left as it is (and reported).
 */
export function rejoinUnquotedDates(row: readonly string[]): string[] {
  const r = [...row];
  for (const at of [5, 7]) {
    if (r.length <= 8 || r[at] === undefined || r[at + 1] === undefined) continue;
    const joined = `${r[at]},${r[at + 1]}`;
    if (!parseAppleCsvDate(r[at]!) && /^\s*\d/.test(r[at + 1]!) && parseAppleCsvDate(joined)) r.splice(at, 2, joined);
  }
  return r;
}

/**
 * Parse a "Photo Details*.csv" (every column). Returns null when the header is not Apple's.
 * Bad rows are reported with their line and skipped; an empty file has no rows.
 */
export function parsePhotoDetails(buf: Buffer, path: string): { rows: PhotoDetailRow[]; problems: CsvProblem[] } | null {
  if (buf.length === 0) return { rows: [], problems: [] };
  if (!isPhotoDetails(buf)) return null;
  const table = parseCsv(decodeText(buf));
  table.shift();
  const rows: PhotoDetailRow[] = [];
  const problems: CsvProblem[] = [];
  table.forEach((raw, i) => {
    const line = i + 2;
    const r = rejoinUnquotedDates(raw);
    const name = safeName(r[0]);
    if (!name) return problems.push({ path, reason: `line ${line}: missing or unsafe file name ${JSON.stringify(r[0] ?? "")}` });
    const [favorite, hidden, deleted] = [flag(r[2]), flag(r[3]), flag(r[4])];
    if (favorite === null || hidden === null || deleted === null) problems.push({ path, reason: `line ${line}: a favorite/hidden/deleted flag is neither yes nor no` });
    const created = r[5]?.trim() ? parseAppleCsvDate(r[5]) : null;
    if (r[5]?.trim() && !created) problems.push({ path, reason: `line ${line}: unreadable date ${JSON.stringify(r[5])}` });
    const views = Number.parseInt(r[6] ?? "", 10);
    rows.push({
      line,
      name,
      checksum: r[1]?.trim() || null,
      favorite: favorite ?? false,
      hidden: hidden ?? false,
      deleted: deleted ?? false,
      created,
      viewCount: Number.isFinite(views) ? views : null,
      imported: r[7]?.trim() ? parseAppleCsvDate(r[7]) : null,
    });
  });
  return { rows, problems };
}

/**
 * Parse an album CSV (names under "Images" or "imgName") or a memory CSV (under "imageName"):
 * one file name per row. An empty file is an empty album; an unknown header is reported.
 */
export function parseNameList(buf: Buffer, path: string, columns: readonly string[]): { names: { line: number; name: string }[]; problems: CsvProblem[] } {
  const table = parseCsv(decodeText(buf));
  const header = (table.shift() ?? []).map((h) => h.trim().toLowerCase());
  if (header.length === 0) return { names: [], problems: [] };
  const col = header.findIndex((h) => columns.includes(h));
  if (col < 0) return { names: [], problems: [{ path, reason: `no ${columns.join("/")} column in the header ${JSON.stringify(header.join(","))}` }] };
  const names: { line: number; name: string }[] = [];
  const problems: CsvProblem[] = [];
  table.forEach((r, i) => {
    const name = safeName(r[col]);
    if (name) names.push({ line: i + 2, name });
    else if ((r[col] ?? "").trim() !== "") problems.push({ path, reason: `line ${i + 2}: unsafe file name ${JSON.stringify(r[col])}` });
  });
  return { names, problems };
}

/** One usable row of a "Photo Details*.csv" (the older, two-column view). */
export interface PhotoDetail {
  name: string;
  created: CaptureTime | null;
}

/** Read "Photo Details.csv" from a file: imgName + originalCreationDate; bad rows are reported. */
export async function readPhotoDetails(path: string): Promise<{ rows: PhotoDetail[]; problems: CsvProblem[] }> {
  const parsed = parsePhotoDetails(await readFile(path), path);
  if (!parsed) return { rows: [], problems: [{ path, reason: "not an Apple photo-details CSV (the header is not Apple's)" }] };
  return { rows: parsed.rows.map((r) => ({ name: r.name, created: r.created })), problems: parsed.problems };
}

/** Read an album CSV (Albums/NAME.csv) from a file: one file name per row, header "Images" or "imgName". */
export async function readAlbumCsv(path: string): Promise<{ names: string[]; problems: CsvProblem[] }> {
  const { names, problems } = parseNameList(await readFile(path), path, ALBUM_COLUMNS);
  return { names: names.map((n) => n.name), problems };
}

/** Header names of the name column: album CSVs, memory CSVs. */
export const ALBUM_COLUMNS = ["images", "imgname"] as const;
export const MEMORY_COLUMNS = ["imagename"] as const;

/**
 * A CSV names files; it never gives us a path. Names with separators, "..", NUL or control
 * characters are refused, and the rest are only compared with catalogued base names.
 */
export function safeName(raw: string | undefined): string | null {
  const s = raw?.trim();
  if (!s || s === "." || s === ".." || /[\/\\\0]/.test(s) || /[\x00-\x1f]/.test(s)) return null;
  return s.normalize("NFC");
}
