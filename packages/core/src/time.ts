/** A capture time as the camera saw it: local wall-clock time plus its UTC offset when known. */
export interface CaptureTime {
  /** Local time "YYYY-MM-DDTHH:MM:SS[.sss]" (no zone). */
  local: string;
  /** "+HH:MM" / "-HH:MM", or null when the file does not say. */
  offset: string | null;
  /** Milliseconds since the epoch when the offset is known (or assumed UTC when not). */
  utcMs: number;
  year: number;
  month: number;
}

const EXIF_RE = /^(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:[.,](\d+))?\s*(Z|[+\-]\d{2}:?\d{2})?/;

/** Normalise "+0200", "+02:00", "Z" to "+HH:MM". */
export function normaliseOffset(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const s = raw.trim();
  if (s === "Z" || s === "z") return "+00:00";
  const m = /^([+\-])(\d{1,2}):?(\d{2})$/.exec(s);
  if (!m) return null;
  const h = Number(m[2]);
  const min = Number(m[3]);
  if (h > 14 || min > 59) return null;
  return `${m[1]}${String(h).padStart(2, "0")}:${m[3]}`;
}

function offsetMinutes(offset: string): number {
  const sign = offset.startsWith("-") ? -1 : 1;
  const [h, m] = offset.slice(1).split(":").map(Number);
  return sign * ((h ?? 0) * 60 + (m ?? 0));
}

/**
 * Parse an EXIF/QuickTime style date ("2025:05:26 09:27:06", optional subseconds and offset).
 * `subSec` is EXIF SubSecTime*, `offset` EXIF OffsetTime* when the string has none.
 * Returns null for missing or zeroed dates ("0000:00:00 00:00:00").
 */
export function parseCaptureTime(raw: unknown, offset?: string | null, subSec?: unknown): CaptureTime | null {
  if (typeof raw !== "string") return null;
  const m = EXIF_RE.exec(raw.trim());
  if (!m) return null;
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const s = Number(m[6] ?? 0);
  if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  const frac = m[7] ?? (subSec != null && /^\d+$/.test(String(subSec).trim()) ? String(subSec).trim() : undefined);
  const ms = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
  const off = normaliseOffset(m[8]) ?? normaliseOffset(offset ?? null);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const local = `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}${frac ? `.${pad(ms, 3)}` : ""}`;
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const utcMs = off ? asUtc - offsetMinutes(off) * 60_000 : asUtc;
  return { local, offset: off, utcMs, year: y, month: mo };
}

/** A capture time from a UTC instant shown in a given offset (QuickTime CreateDate is UTC). */
export function captureFromUtc(utcMs: number, offset: string | null): CaptureTime {
  const shifted = new Date(utcMs + (offset ? offsetMinutes(offset) : 0) * 60_000);
  const local = shifted.toISOString().slice(0, 19);
  return { local, offset, utcMs, year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1 };
}

/** Format for EXIF writing: "YYYY:MM:DD HH:MM:SS". */
export function exifDate(local: string): string {
  return local.slice(0, 19).replace(/^(\d{4})-(\d{2})-(\d{2})T/, "$1:$2:$3 ");
}
