/**
 * Manifest line formats: GNU coreutils `sha256sum` (with its escaped form for awkward names)
 * and BagIt 1.0 (percent-encoding of CR, LF and %).
 */

/** One `sha256sum` line for `rel` (no trailing newline). Names with `\`, LF or CR use coreutils' escaped form. */
export function sha256sumLine(sha256: string, rel: string): string {
  if (/[\\\n\r]/.test(rel)) {
    const esc = rel.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
    return `\\${sha256}  ${esc}`;
  }
  return `${sha256}  ${rel}`;
}

/** Parse one `sha256sum` line (text or binary mode, escaped or not); null for blank or malformed lines. */
export function parseSha256sumLine(line: string): { sha256: string; rel: string } | null {
  let l = line.endsWith("\r") && !line.startsWith("\\") ? line.slice(0, -1) : line;
  let escaped = false;
  if (l.startsWith("\\")) {
    escaped = true;
    l = l.slice(1);
  }
  const m = /^([0-9a-fA-F]{64}) [ *](.*)$/s.exec(l);
  if (!m) return null;
  let rel = m[2]!;
  if (escaped) rel = rel.replace(/\\(\\|n|r)/g, (_, c: string) => (c === "n" ? "\n" : c === "r" ? "\r" : "\\"));
  return { sha256: m[1]!.toLowerCase(), rel };
}

/** BagIt 1.0 (RFC 8493 §2.1.3): percent-encode `%`, LF and CR in manifest paths. */
export function bagitEncodePath(rel: string): string {
  return rel.replace(/%/g, "%25").replace(/\n/g, "%0A").replace(/\r/g, "%0D");
}

/** Inverse of `bagitEncodePath`. */
export function bagitDecodePath(enc: string): string {
  return enc.replace(/%0A/gi, "\n").replace(/%0D/gi, "\r").replace(/%25/g, "%");
}

/** One BagIt manifest line: `<checksum>  <encoded path>` (two spaces, as bagit-python writes). */
export function bagitLine(sha256: string, rel: string): string {
  return `${sha256}  ${bagitEncodePath(rel)}`;
}

/** Parse a whole `sha256sum` manifest into entries, with malformed line numbers reported. */
export function parseSha256sumManifest(text: string): { entries: { sha256: string; rel: string }[]; malformed: number[] } {
  const entries: { sha256: string; rel: string }[] = [];
  const malformed: number[] = [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const e = parseSha256sumLine(line);
    if (e) entries.push(e);
    else malformed.push(i + 1);
  });
  return { entries, malformed };
}
