// The name of an ICC profile ("Display P3", "sRGB IEC61966-2.1"), read from the profile's own
// 'desc' tag: what `exiftool -ICC_Profile:ProfileDescription` prints, without a child process.
// Scan names a HEIF's profile with it (the `colr` property); report names thumbnails' profiles.

/** An ICC v2 `desc` (textDescriptionType): ASCII count at 8, then the ASCII text. */
function v2Text(p: Buffer, at: number, size: number): string | null {
  if (size < 12) return null;
  const n = p.readUInt32BE(at + 8);
  if (n === 0 || 12 + n > size) return null;
  return p.toString("latin1", at + 12, at + 12 + n);
}

/** An ICC v4 `mluc` (multiLocalizedUnicodeType): the first record's UTF-16BE text (English first). */
function v4Text(p: Buffer, at: number, size: number): string | null {
  if (size < 16) return null;
  const count = p.readUInt32BE(at + 8);
  const recSize = p.readUInt32BE(at + 12);
  if (count === 0 || recSize < 12 || 16 + count * recSize > size) return null;
  let pick = 0;
  for (let i = 0; i < count; i++) if (p.toString("latin1", at + 16 + i * recSize, at + 18 + i * recSize) === "en") { pick = i; break; }
  const rec = at + 16 + pick * recSize;
  const len = p.readUInt32BE(rec + 4);
  const off = p.readUInt32BE(rec + 8);
  if (off + len > size) return null;
  return p.subarray(at + off, at + off + len).swap16().toString("utf16le");
}

/** The profile's description, or null when the bytes are not an ICC profile with a readable 'desc'. */
export function iccDescription(profile: Uint8Array | null | undefined): string | null {
  if (!profile || profile.length < 132) return null;
  // a copy: swap16 works in place, and the caller's buffer stays as it was
  const p = Buffer.from(profile);
  if (p.toString("latin1", 36, 40) !== "acsp") return null;
  const tags = p.readUInt32BE(128);
  for (let i = 0; i < tags && 132 + (i + 1) * 12 <= p.length; i++) {
    const e = 132 + i * 12;
    if (p.toString("latin1", e, e + 4) !== "desc") continue;
    const at = p.readUInt32BE(e + 4);
    const size = p.readUInt32BE(e + 8);
    if (at + size > p.length) return null;
    const type = p.toString("latin1", at, at + 4);
    const text = type === "desc" ? v2Text(p, at, size) : type === "mluc" ? v4Text(p, at, size) : null;
    return text?.replace(/\0+$/, "").trim() || null;
  }
  return null;
}
