// HDR gain-map metadata (ISO 21496-1). An iOS 18 HEIC's `tmap` item already holds it (one version
// byte, then the same GainMapMetadata that JPEG carries in its APP2). An older iPhone HEIC has only
// Apple's own gain map; its headroom is in the aux image's XMP (HDRGainMapHeadroom) or the maker
// note (tags 0x21 and 0x30), and it is described the way libultrahdr (jpegrutils.cpp) reads
// Apple gain maps: gamma 1, no offsets, content boost from 1 to the headroom.
import { heifStructure } from "./heif.js";
import { jpegHeadHasIsoGainMap } from "./jpeg.js";
import { appleMakerNoteRationals } from "./tiff.js";

/** The aux image type of Apple's HDR gain map (iOS 14 and later). */
export const APPLE_GAINMAP_URN = "urn:com:apple:photo:2020:aux:hdrgainmap";

/** ISO 21496-1 metadata, one channel (all channels identical), values as written (log2 domain). */
export interface GainMapInfo {
  baseHdrHeadroom: number;
  alternateHdrHeadroom: number;
  gainMapMin: number[];
  gainMapMax: number[];
  gamma: number[];
  baseOffset: number[];
  alternateOffset: number[];
  useBaseColorSpace: boolean;
  backwardDirection: boolean;
}

/** The JPEG payload (GainMapMetadata without the HEIF version byte) of a `tmap` item. */
export function isoFromTmap(tmap: Buffer): Buffer {
  if (tmap.length < 6 || tmap[0] !== 0) throw new Error(`unsupported tmap version ${tmap[0]}`);
  const iso = tmap.subarray(1);
  decodeIsoGainMap(iso); // refuse what a viewer could not read
  return Buffer.from(iso);
}

/** Decode ISO 21496-1 GainMapMetadata (as in JPEG's APP2 after the identifier). */
export function decodeIsoGainMap(iso: Buffer): GainMapInfo {
  let p = 0;
  const u8 = () => iso.readUInt8(p++);
  const u16 = () => ((p += 2), iso.readUInt16BE(p - 2));
  const u32 = () => ((p += 4), iso.readUInt32BE(p - 4));
  const s32 = () => ((p += 4), iso.readInt32BE(p - 4));
  if (u16() !== 0) throw new Error("unsupported ISO 21496-1 minimum version");
  u16(); // writer version
  const flags = u8();
  const channels = flags & 0x80 ? 3 : 1;
  const common = (flags & 0x08) !== 0;
  const den = common ? u32() : 0;
  const frac = (signed: boolean) => {
    const n = signed ? s32() : u32();
    const d = common ? den : u32();
    if (!d) throw new Error("zero denominator in gain-map metadata");
    return n / d;
  };
  const info: GainMapInfo = {
    baseHdrHeadroom: frac(false),
    alternateHdrHeadroom: frac(false),
    gainMapMin: [], gainMapMax: [], gamma: [], baseOffset: [], alternateOffset: [],
    useBaseColorSpace: (flags & 0x40) !== 0,
    backwardDirection: (flags & 0x04) !== 0,
  };
  for (let c = 0; c < channels; c++) {
    info.gainMapMin.push(frac(true));
    info.gainMapMax.push(frac(true));
    info.gamma.push(frac(false));
    info.baseOffset.push(frac(true));
    info.alternateOffset.push(frac(true));
  }
  return info;
}

const DEN = 1_000_000;

/** Encode single-channel metadata with one common denominator (what libultrahdr writes). */
export function encodeIsoGainMap(m: GainMapInfo): Buffer {
  const b = Buffer.alloc(2 + 2 + 1 + 4 + 8 + 20);
  let p = 0;
  p = b.writeUInt16BE(0, p);
  p = b.writeUInt16BE(0, p);
  p = b.writeUInt8(0x08 | (m.useBaseColorSpace ? 0x40 : 0) | (m.backwardDirection ? 0x04 : 0), p);
  p = b.writeUInt32BE(DEN, p);
  const n = (v: number) => Math.round(v * DEN);
  p = b.writeUInt32BE(n(m.baseHdrHeadroom), p);
  p = b.writeUInt32BE(n(m.alternateHdrHeadroom), p);
  p = b.writeInt32BE(n(m.gainMapMin[0]!), p);
  p = b.writeInt32BE(n(m.gainMapMax[0]!), p);
  p = b.writeUInt32BE(n(m.gamma[0]!), p);
  p = b.writeInt32BE(n(m.baseOffset[0]!), p);
  b.writeInt32BE(n(m.alternateOffset[0]!), p);
  return b;
}

/**
 * Apple's headroom (linear, > 1): HDRGainMapHeadroom from the gain map's XMP when present, else
 * from maker-note tags 0x21 (HDRHeadroom) and 0x30 (HDRGain), with libultrahdr's formula. Null
 * when the file says neither.
 */
export function appleHeadroom(exifTiff: Buffer | null, gainMapXmp: Buffer | null): number | null {
  const m = gainMapXmp?.toString("utf8").match(/HDRGainMapHeadroom(?:>|=")\s*([0-9.eE+-]+)/);
  if (m) {
    const v = Number(m[1]);
    if (Number.isFinite(v) && v > 1) return v;
  }
  if (!exifTiff) return null;
  let r: Map<number, number>;
  try {
    r = appleMakerNoteRationals(exifTiff, [0x21, 0x30]);
  } catch {
    return null;
  }
  if (!r.size) return null;
  const m33 = r.get(0x21) ?? 0;
  const m48 = r.get(0x30) ?? 0;
  let stops: number;
  if (m33 < 1) stops = m48 <= 0.01 ? -20 * m48 + 1.8 : -0.101 * m48 + 1.601;
  else stops = m48 <= 0.01 ? -70 * m48 + 3 : -0.303 * m48 + 2.303;
  return 2 ** stops;
}

/** ISO 21496-1 metadata for an Apple gain map of the given headroom (as libultrahdr maps it). */
export function isoFromAppleHeadroom(headroom: number): Buffer {
  const stops = Math.log2(headroom);
  return encodeIsoGainMap({
    baseHdrHeadroom: 0,
    alternateHdrHeadroom: stops,
    gainMapMin: [0],
    gainMapMax: [stops],
    gamma: [1],
    baseOffset: [0],
    alternateOffset: [0],
    useBaseColorSpace: true,
    backwardDirection: false,
  });
}

/**
 * Whether a file carries an HDR gain map, read from its head (`head`, the first bytes of a file
 * of `fileSize` bytes): a HEIF with Apple's aux gain map or a `tmap` item, or a JPEG with the ISO
 * 21496-1 marker. For verify's parity: a gain map in the source must be in the output.
 */
export function headHasGainMap(head: Buffer, fileSize: number): boolean {
  if (head[0] === 0xff && head[1] === 0xd8) return jpegHeadHasIsoGainMap(head);
  if (head.toString("latin1", 4, 8) !== "ftyp") return false;
  return heifStructure(head, fileSize).hasGainMap === true;
}
