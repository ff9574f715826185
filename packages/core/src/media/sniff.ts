// The one magic-byte sniffer: a file's format from its first bytes, never from its extension.
import type { Format } from "../media.js";
import { fourcc } from "./boxes.js";
import { heifStructure, type HeifStructure } from "./heif.js";

/** What the first bytes of a file say about it (format, structure, declared size). */
export interface Probe extends HeifStructure {
  format: Format;
  /** ISO-BMFF major brand and compatible brands, when the file has an `ftyp`. */
  brands?: string[];
}

/** How many bytes of a file `identify` wants (256 KiB holds an iPhone HEIC's `meta` box). */
export const SNIFF_BYTES = 256 * 1024;

const u32 = (b: Buffer, o: number) => b.readUInt32BE(o);
const u16 = (b: Buffer, o: number) => b.readUInt16BE(o);

/** HEVC-coded HEIF brands, including the multi-image/sequence ones (`hevm`, `hevs`) some cameras write. */
const HEIC_BRANDS = new Set(["heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs"]);
const MP4_BRANDS = new Set(["isom", "iso2", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "dash", "MSNV", "mmp4", "f4v "]);

/** The format an `ftyp`'s major and compatible brands name. */
export function brandFormat(brands: string[]): Format {
  const [major] = brands;
  const has = (b: string) => brands.includes(b);
  if (major === "qt  ") return "mov";
  if (major && HEIC_BRANDS.has(major)) return "heic";
  if (major === "avif" || major === "avis") return "avif";
  if (major === "mif1" || major === "msf1") {
    if (brands.some((b) => HEIC_BRANDS.has(b))) return "heic";
    if (has("avif")) return "avif";
    return "heif";
  }
  if (major === "M4V " || major === "M4VH" || major === "M4VP") return "m4v";
  if (major?.startsWith("3g")) return "3gp";
  if (major && MP4_BRANDS.has(major)) return "mp4";
  if (has("qt  ")) return "mov";
  if (brands.some((b) => HEIC_BRANDS.has(b))) return "heic";
  // any other ISO-BMFF brand is some MP4 flavour (camera vendors invent their own)
  return "mp4";
}

/** Still-image magic numbers that need no parsing beyond a size. */
function stillImage(b: Buffer): Probe | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { format: "jpeg", ...jpegSize(b) };
  if (b.length >= 8 && b.toString("latin1", 0, 8) === "\x89PNG\r\n\x1a\n") {
    return b.length >= 24 ? { format: "png", width: u32(b, 16), height: u32(b, 20) } : { format: "png", problem: "truncated PNG header" };
  }
  const six = b.toString("latin1", 0, 6);
  if (b.length >= 6 && (six === "GIF87a" || six === "GIF89a")) {
    return b.length >= 10 ? { format: "gif", width: b.readUInt16LE(6), height: b.readUInt16LE(8) } : { format: "gif" };
  }
  if (b.length >= 12 && b.toString("latin1", 0, 4) === "RIFF" && b.toString("latin1", 8, 12) === "WEBP") return { format: "webp" };
  const four = b.toString("latin1", 0, 4);
  if (b.length >= 4 && (four === "II*\0" || four === "MM\0*")) return tiff(b);
  return null;
}

/**
 * Identify a file from its head (the first `SNIFF_BYTES` are plenty for iPhone files) and its
 * total size. Never trusts the extension: the name is only a hint for CSV files.
 */
export function identify(head: Buffer, fileSize: number, nameHint = ""): Probe {
  if (fileSize === 0) return { format: "empty", problem: "empty file (0 bytes)" };
  const b = head;
  const still = stillImage(b);
  if (still) return still;
  if (b.length >= 12 && fourcc(b, 4) === "ftyp") return isobmff(b, fileSize);
  if (b.length >= 8 && ["moov", "mdat", "wide", "free", "skip", "pnot"].includes(fourcc(b, 4))) return { format: "mov" };
  const text = b.toString("utf8", 0, Math.min(b.length, 4096));
  if ((text.startsWith("<?xml") || text.startsWith("bplist")) && /adjustment(FormatIdentifier|Data|BaseVersion)/.test(text)) {
    return { format: "aae" };
  }
  if (/\.csv$/i.test(nameHint) && !text.includes("\0")) return { format: "csv" };
  return { format: "unknown", problem: "unrecognised file format" };
}

/** A JPEG's size from its first SOF marker, when the head reaches it. */
function jpegSize(b: Buffer): { width?: number; height?: number } {
  let off = 2;
  while (off + 4 <= b.length) {
    if (b[off] !== 0xff) return {};
    const marker = b[off + 1]!;
    if (marker === 0xff) {
      off++;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      off += 2;
      continue;
    }
    const len = u16(b, off + 2);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (off + 9 > b.length) return {};
      return { height: u16(b, off + 5), width: u16(b, off + 7) };
    }
    if (marker === 0xda || marker === 0xd9) return {};
    off += 2 + len;
  }
  return {};
}

/** TIFF or DNG (IFD0 carries DNGVersion), with IFD0's size for a plain TIFF. */
function tiff(b: Buffer): Probe {
  const le = b[0] === 0x49;
  const r16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const r32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  try {
    const ifd = r32(4);
    const n = r16(ifd);
    let width: number | undefined;
    let height: number | undefined;
    let dng = false;
    for (let i = 0; i < n; i++) {
      const e = ifd + 2 + i * 12;
      const tag = r16(e);
      const val = r16(e + 2) === 3 ? r16(e + 8) : r32(e + 8);
      if (tag === 0xc612) dng = true;
      if (tag === 0x0100) width = val;
      if (tag === 0x0101) height = val;
    }
    const p: Probe = { format: dng ? "dng" : "tiff" };
    // a DNG's IFD0 is usually the thumbnail; exiftool gives the real size later
    if (!dng && width && height) Object.assign(p, { width, height });
    return p;
  } catch {
    return { format: "tiff" };
  }
}

function isobmff(b: Buffer, fileSize: number): Probe {
  const ftypSize = u32(b, 0);
  const brands: string[] = [fourcc(b, 8)];
  for (let o = 16; o + 4 <= Math.min(ftypSize, b.length); o += 4) brands.push(fourcc(b, o));
  const format = brandFormat(brands);
  const probe: Probe = { format, brands };
  if (format === "heic" || format === "heif" || format === "avif") Object.assign(probe, heifStructure(b, fileSize));
  return probe;
}

/** File name extensions by the format family they promise; a mismatch with the content is worth naming. */
const EXTENSION_FAMILY: Record<string, string> = {
  jpg: "jpeg", jpeg: "jpeg", jpe: "jpeg", png: "png", gif: "gif", tif: "tiff", tiff: "tiff", dng: "dng", webp: "webp",
  heic: "heif", heif: "heif", hif: "heif", avif: "avif",
  mov: "video", mp4: "video", m4v: "video", "3gp": "video", qt: "video",
  aae: "aae", csv: "csv",
};
/** The family of each format (MP4 and QuickTime are one family: every player opens either). */
const FORMAT_FAMILY: Partial<Record<Format, string>> = {
  jpeg: "jpeg", png: "png", gif: "gif", tiff: "tiff", dng: "dng", webp: "webp", heic: "heif", heif: "heif", avif: "avif",
  mov: "video", mp4: "video", m4v: "video", "3gp": "video", aae: "aae", csv: "csv",
};

/**
 * When a file's extension promises another format than its content (a PNG named .jpg, a JPEG
 * named .HEIC): the extension, lower-case, without the dot. Null when they agree or either is unknown.
 */
export function extensionMismatch(name: string, format: Format): string | null {
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return null;
  const ext = name.slice(dot + 1).toLowerCase();
  const promised = EXTENSION_FAMILY[ext];
  const actual = FORMAT_FAMILY[format];
  if (!promised || !actual || promised === actual) return null;
  return ext;
}

/** The usual extension (no dot) for a format's files, for naming an output after its content. */
export function extensionFor(format: Format): string | null {
  const map: Partial<Record<Format, string>> = {
    jpeg: "jpg", png: "png", gif: "gif", tiff: "tif", dng: "dng", webp: "webp", heic: "heic", heif: "heif", avif: "avif",
    mov: "mov", mp4: "mp4", m4v: "m4v", "3gp": "3gp", aae: "aae", csv: "csv",
  };
  return map[format] ?? null;
}
