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

/** One usable row of a "Photo Details*.csv". */
export interface PhotoDetail {
  name: string;
  created: CaptureTime | null;
}

export interface CsvProblem {
  path: string;
  reason: string;
}

/** Read "Photo Details.csv": imgName + originalCreationDate; bad rows are reported, not fatal. */
export async function readPhotoDetails(path: string): Promise<{ rows: PhotoDetail[]; problems: CsvProblem[] }> {
  const rows = parseCsv(decodeText(await readFile(path)));
  const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase());
  const nameCol = header.indexOf("imgname");
  const dateCol = header.indexOf("originalcreationdate");
  const problems: CsvProblem[] = [];
  if (nameCol < 0 || dateCol < 0) {
    return { rows: [], problems: [{ path, reason: "not an Apple photo-details CSV (no imgName/originalCreationDate columns)" }] };
  }
  const out: PhotoDetail[] = [];
  rows.forEach((r, i) => {
    const name = safeName(r[nameCol]);
    if (!name) {
      problems.push({ path, reason: `row ${i + 2}: missing or unsafe file name` });
      return;
    }
    const created = r[dateCol] ? parseAppleCsvDate(r[dateCol]!) : null;
    if (r[dateCol] && !created) problems.push({ path, reason: `row ${i + 2}: unreadable date ${JSON.stringify(r[dateCol])}` });
    out.push({ name, created });
  });
  return { rows: out, problems };
}

/** Read an album CSV (Albums/NAME.csv): one file name per row, header "Images". */
export async function readAlbumCsv(path: string): Promise<{ names: string[]; problems: CsvProblem[] }> {
  const rows = parseCsv(decodeText(await readFile(path)));
  const problems: CsvProblem[] = [];
  const first = rows[0]?.[0]?.trim().toLowerCase();
  if (first === "images" || first === "imgname" || first === "name") rows.shift();
  const names: string[] = [];
  rows.forEach((r, i) => {
    const name = safeName(r[0]);
    if (name) names.push(name);
    else problems.push({ path, reason: `row ${i + 1}: missing or unsafe file name` });
  });
  return { names, problems };
}

/**
 * A CSV names files; it never gives us a path. Names with separators, "..", NUL or control
 * characters are refused, and the rest are only compared with catalogued base names.
 */
export function safeName(raw: string | undefined): string | null {
  const s = raw?.trim();
  if (!s || s === "." || s === ".." || /[\/\\\0]/.test(s) || /[\x00-\x1f]/.test(s)) return null;
  return s.normalize("NFC");
}
