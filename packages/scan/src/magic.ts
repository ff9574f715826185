import type { Format } from "@archive/core";

/** What the first bytes of a file say about it (format, structure, declared size). */
export interface Probe {
  format: Format;
  /** ISO-BMFF major brand and compatible brands, when the file has an `ftyp`. */
  brands?: string[];
  /** Stored (pre-rotation) pixel size of the primary image, when the header declares it. */
  width?: number;
  height?: number;
  /** HEIF: the primary item's `irot` in degrees anticlockwise (undefined: no irot property). */
  irot?: number;
  /** HEIF: primary item type ("grid", "hvc1", "av01", ...), tile count, auxiliary image types. */
  primaryType?: string;
  tiles?: number;
  aux?: string[];
  hasGainMap?: boolean;
  /** HEIF: where the Exif item's bytes are (file offset and length), so EXIF is read without a full parser. */
  exif?: { offset: number; length: number };
  /** Why the header is unusable (truncated, corrupt); the file is then unreadable. */
  problem?: string;
}

const u32 = (b: Buffer, o: number) => b.readUInt32BE(o);
const u16 = (b: Buffer, o: number) => b.readUInt16BE(o);
const fourcc = (b: Buffer, o: number) => b.toString("latin1", o, o + 4);

interface Box {
  type: string;
  start: number; // offset of the box header
  body: number; // offset of the payload
  end: number; // offset after the box (may exceed the buffer when truncated)
}

/** Iterate boxes in [start, end) of `buf`; stops at a malformed header. */
function* boxes(buf: Buffer, start: number, end: number): Generator<Box> {
  let off = start;
  while (off + 8 <= end) {
    let size = u32(buf, off);
    const type = fourcc(buf, off + 4);
    let body = off + 8;
    if (size === 1) {
      if (off + 16 > end) return;
      size = Number(buf.readBigUInt64BE(off + 8));
      body = off + 16;
    } else if (size === 0) {
      size = end - off;
    }
    if (size < body - off) return;
    yield { type, start: off, body, end: off + size };
    off += size;
  }
}

const HEIC_BRANDS = new Set(["heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs"]);
const MP4_BRANDS = new Set(["isom", "iso2", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "dash", "MSNV", "mmp4", "f4v "]);

function brandFormat(brands: string[]): Format {
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

/**
 * Identify a file from its head (the first bytes; 256 KiB is plenty for iPhone files) and its
 * total size. Never trusts the extension: that is only a hint for CSV files.
 */
export function identify(head: Buffer, fileSize: number, nameHint = ""): Probe {
  if (fileSize === 0) return { format: "empty", problem: "empty file (0 bytes)" };
  const b = head;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { format: "jpeg", ...jpegSize(b) };
  if (b.length >= 8 && b.toString("latin1", 0, 8) === "\x89PNG\r\n\x1a\n") {
    return b.length >= 24 ? { format: "png", width: u32(b, 16), height: u32(b, 20) } : { format: "png", problem: "truncated PNG header" };
  }
  if (b.length >= 6 && (b.toString("latin1", 0, 6) === "GIF87a" || b.toString("latin1", 0, 6) === "GIF89a")) {
    return { format: "gif", width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  }
  if (b.length >= 12 && b.toString("latin1", 0, 4) === "RIFF" && b.toString("latin1", 8, 12) === "WEBP") return { format: "webp" };
  if (b.length >= 4 && (b.toString("latin1", 0, 4) === "II*\0" || b.toString("latin1", 0, 4) === "MM\0*")) return tiff(b);
  if (b.length >= 12 && fourcc(b, 4) === "ftyp") return isobmff(b, fileSize);
  if (b.length >= 8 && ["moov", "mdat", "wide", "free", "skip", "pnot"].includes(fourcc(b, 4))) return { format: "mov" };
  const text = b.toString("utf8", 0, Math.min(b.length, 4096));
  if ((text.startsWith("<?xml") || text.startsWith("bplist")) && /adjustment(FormatIdentifier|Data|BaseVersion)/.test(text)) {
    return { format: "aae" };
  }
  if (/\.csv$/i.test(nameHint) && !text.includes("\0")) return { format: "csv" };
  return { format: "unknown", problem: "unrecognised file format" };
}

function jpegSize(b: Buffer): Partial<Probe> {
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
      const type = r16(e + 2);
      const val = type === 3 ? r16(e + 8) : r32(e + 8);
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

/** Walk the HEIF `meta` box: primary item, its ispe/irot, grid tiles, aux images, iloc bounds. */
function heifStructure(b: Buffer, fileSize: number): Partial<Probe> {
  let meta: Box | undefined;
  for (const box of boxes(b, 0, b.length)) {
    if (box.type === "meta") {
      meta = box;
      break;
    }
    if (box.type === "mdat") break;
  }
  if (!meta) return { problem: "no HEIF 'meta' box" };
  if (meta.end > fileSize) return { problem: "truncated HEIF header ('meta' box runs past the end of the file)" };
  if (meta.end > b.length) return { problem: "HEIF 'meta' box larger than the header read" };
  let primary: number | undefined;
  const types = new Map<number, string>();
  const props: Box[] = [];
  const assoc = new Map<number, number[]>();
  const refs: { type: string; from: number; to: number[] }[] = [];
  let maxExtentEnd = 0;
  const itemExtents = new Map<number, { offset: number; length: number }[]>();
  for (const box of boxes(b, meta.body + 4, meta.end)) {
    const ver = b[box.body]!;
    const flags = b.readUIntBE(box.body + 1, 3);
    const p = box.body + 4;
    switch (box.type) {
      case "pitm":
        primary = ver === 0 ? u16(b, p) : u32(b, p);
        break;
      case "iinf": {
        const entriesStart = p + (ver === 0 ? 2 : 4);
        for (const infe of boxes(b, entriesStart, box.end)) {
          if (infe.type !== "infe") continue;
          const iv = b[infe.body]!;
          if (iv < 2) continue;
          const q = infe.body + 4;
          const id = iv === 2 ? u16(b, q) : u32(b, q);
          const typeOff = q + (iv === 2 ? 2 : 4) + 2;
          types.set(id, fourcc(b, typeOff));
        }
        break;
      }
      case "iref": {
        for (const ref of boxes(b, p, box.end)) {
          let q = ref.body;
          const rd = () => {
            const v = ver === 0 ? u16(b, q) : u32(b, q);
            q += ver === 0 ? 2 : 4;
            return v;
          };
          const from = rd();
          const count = u16(b, q);
          q += 2;
          const to: number[] = [];
          for (let i = 0; i < count && q < ref.end; i++) to.push(rd());
          refs.push({ type: ref.type, from, to });
        }
        break;
      }
      case "iprp":
        for (const child of boxes(b, box.body, box.end)) {
          if (child.type === "ipco") for (const prop of boxes(b, child.body, child.end)) props.push(prop);
          if (child.type === "ipma") {
            const cv = b[child.body]!;
            const cflags = b.readUIntBE(child.body + 1, 3);
            let q = child.body + 4;
            const count = u32(b, q);
            q += 4;
            for (let i = 0; i < count && q < child.end; i++) {
              const id = cv < 1 ? u16(b, q) : u32(b, q);
              q += cv < 1 ? 2 : 4;
              const n = b[q]!;
              q += 1;
              const list: number[] = [];
              for (let j = 0; j < n; j++) {
                if (cflags & 1) {
                  list.push(u16(b, q) & 0x7fff);
                  q += 2;
                } else {
                  list.push(b[q]! & 0x7f);
                  q += 1;
                }
              }
              assoc.set(id, list);
            }
          }
        }
        break;
      case "iloc": {
        const offSize = b[p]! >> 4;
        const lenSize = b[p]! & 15;
        const baseSize = b[p + 1]! >> 4;
        const idxSize = ver === 1 || ver === 2 ? b[p + 1]! & 15 : 0;
        let q = p + 2;
        const readN = (n: number) => {
          const v = n === 0 ? 0 : n === 4 ? u32(b, q) : n === 8 ? Number(b.readBigUInt64BE(q)) : n === 2 ? u16(b, q) : 0;
          q += n;
          return v;
        };
        const count = ver < 2 ? u16(b, q) : u32(b, q);
        q += ver < 2 ? 2 : 4;
        for (let i = 0; i < count && q < box.end; i++) {
          const itemId = ver < 2 ? u16(b, q) : u32(b, q);
          q += ver < 2 ? 2 : 4;
          let method = 0;
          if (ver === 1 || ver === 2) {
            method = u16(b, q) & 15;
            q += 2;
          }
          q += 2; // data reference index
          const base = readN(baseSize);
          const extents = u16(b, q);
          q += 2;
          for (let e = 0; e < extents; e++) {
            readN(idxSize);
            const off = readN(offSize);
            const len = readN(lenSize);
            if (method === 0) {
              maxExtentEnd = Math.max(maxExtentEnd, base + off + len);
              const list = itemExtents.get(itemId) ?? [];
              list.push({ offset: base + off, length: len });
              itemExtents.set(itemId, list);
            }
          }
        }
        void flags;
        break;
      }
    }
  }
  const out: Partial<Probe> = {};
  if (maxExtentEnd > fileSize) {
    out.problem = `truncated HEIF: image data runs to byte ${maxExtentEnd} but the file has ${fileSize}`;
  }
  if (primary === undefined) return { ...out, problem: out.problem ?? "HEIF without a primary item" };
  const primaryType = types.get(primary);
  if (primaryType) out.primaryType = primaryType;
  for (const idx of assoc.get(primary) ?? []) {
    const prop = props[idx - 1];
    if (!prop) continue;
    if (prop.type === "ispe") {
      out.width = u32(b, prop.body + 4);
      out.height = u32(b, prop.body + 8);
    } else if (prop.type === "irot") {
      out.irot = (b[prop.body]! & 3) * 90;
    }
  }
  out.tiles = refs.filter((r) => r.type === "dimg" && r.from === primary).reduce((n, r) => n + r.to.length, 0);
  const aux: string[] = [];
  for (const r of refs) {
    if (r.type !== "auxl" || !r.to.includes(primary)) continue;
    for (const idx of assoc.get(r.from) ?? []) {
      const prop = props[idx - 1];
      if (prop?.type === "auxC") {
        const s = b.toString("latin1", prop.body + 4, prop.end);
        aux.push(s.slice(0, s.indexOf("\0") >= 0 ? s.indexOf("\0") : undefined));
      }
    }
  }
  if (aux.length) out.aux = aux;
  for (const [id, type] of types) {
    const ext = itemExtents.get(id);
    // one contiguous extent (what every writer we know produces); anything else goes to exiftool
    if (type === "Exif" && ext?.length === 1 && ext[0]!.length > 8 && ext[0]!.offset + ext[0]!.length <= fileSize) {
      out.exif = ext[0]!;
      break;
    }
  }
  out.hasGainMap = [...types.values()].includes("tmap") || aux.some((a) => a.includes("hdrgainmap"));
  if (!out.width || !out.height) out.problem ??= "HEIF primary image has no declared size";
  return out;
}
