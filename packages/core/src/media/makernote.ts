// Apple's MakerNote, read directly: exifr does not decode it, and the Live Photo and burst ids
// are all a scan needs from it.

/** The grouping hints Apple's MakerNote carries. */
export interface AppleMakerNote {
  /** Live Photo MediaGroupUUID (tag 0x11), equal to the paired MOV's ContentIdentifier. */
  contentId?: string;
  /** BurstUUID (tag 0x0b). */
  burstId?: string;
}

/**
 * Parse Apple's MakerNote ("Apple iOS\0", an IFD at byte 14 whose byte order is given at byte
 * 12): tag 0x11 is the Live Photo MediaGroupUUID, tag 0x0b the BurstUUID. Never throws.
 */
export function parseAppleMakerNote(mn: Uint8Array): AppleMakerNote {
  const b = Buffer.from(mn.buffer, mn.byteOffset, mn.byteLength);
  if (b.length < 16 || b.toString("latin1", 0, 9) !== "Apple iOS") return {};
  const le = b.toString("latin1", 12, 14) === "II";
  const r16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const r32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const out: AppleMakerNote = {};
  try {
    const n = r16(14);
    for (let i = 0; i < n; i++) {
      const e = 16 + i * 12;
      if (e + 12 > b.length) break;
      const tag = r16(e);
      const count = r32(e + 4);
      if (r16(e + 2) !== 2 || (tag !== 0x11 && tag !== 0x0b)) continue;
      const start = count <= 4 ? e + 8 : r32(e + 8);
      if (start + count > b.length) continue;
      const value = b.toString("latin1", start, start + count).replace(/\0+$/, "").trim();
      if (!value) continue;
      if (tag === 0x11) out.contentId = value;
      else out.burstId = value;
    }
  } catch {
    // a damaged MakerNote only costs us the grouping hints
  }
  return out;
}
