import { ArchiveError } from "@archive/core";

/** "50GB", "500M", "1.5T", "1000000" -> bytes (decimal units, like disk vendors and df -H). */
export function parseSize(raw: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(raw);
  if (!m) throw new ArchiveError("E_USAGE", `${flag}: expected a size like 50GB or 500MB, got "${raw}"`);
  const mult = { "": 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g" | "t"];
  return Math.round(Number(m[1]) * mult);
}

/** A positive integer option, or a usage error naming the flag. */
export function parseIntOption(raw: unknown, flag: string, min = 1, max = 1024): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ArchiveError("E_USAGE", `${flag}: expected a whole number from ${min} to ${max}, got "${String(raw)}"`);
  return n;
}
