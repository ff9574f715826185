// The HEIF structure parser: what the `meta` box says about the primary image (size, rotation,
// grid tiles, auxiliary images such as an HDR gain map) and where every item's bytes are, read
// at scan time so a truncated HEIC is known before anything decodes it.
import { boxes, fourcc, type Box } from "./boxes.js";
import { iccDescription } from "./icc.js";

/** What a HEIF's `meta` box declares. All optional: a damaged file says less. */
export interface HeifStructure {
  /** Stored (pre-rotation) pixel size of the primary image (`ispe`). */
  width?: number;
  height?: number;
  /** The primary item's `irot` in degrees anticlockwise (undefined: no irot property). */
  irot?: number;
  /** Primary item type ("grid", "hvc1", "av01", ...), tile count, auxiliary image types. */
  primaryType?: string;
  tiles?: number;
  aux?: string[];
  hasGainMap?: boolean;
  /** The primary image's ICC profile name (`colr` of type prof/rICC), e.g. "Display P3". */
  icc?: string;
  /** Where the Exif item's bytes are (file offset and length), so EXIF is read without a full parser. */
  exif?: { offset: number; length: number };
  /** Why the header is unusable (truncated, corrupt); the file is then unreadable. */
  problem?: string;
}

export interface Extent {
  offset: number;
  length: number;
}

/** The parsed children of `meta` that the summary needs. */
export interface MetaBoxes {
  primary?: number;
  types: Map<number, string>;
  props: Box[];
  assoc: Map<number, number[]>;
  refs: { type: string; from: number; to: number[] }[];
  extents: Map<number, Extent[]>;
  /** Items stored in the `idat` box (iloc construction method 1): offsets into `idat`'s body. */
  idatExtents: Map<number, Extent[]>;
  /** The `idat` box, when there is one. */
  idat?: Box;
  maxExtentEnd: number;
}

const u16 = (b: Buffer, o: number) => b.readUInt16BE(o);
const u32 = (b: Buffer, o: number) => b.readUInt32BE(o);

/** The top-level `meta` box, or why there is none usable in `b` (the head of a file of `fileSize` bytes). */
export function findMetaBox(b: Buffer, fileSize: number): Box | { problem: string } {
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
  return meta;
}

/** `iinf`: item id -> item type (only `infe` version 2+ carries a type). */
function parseIinf(b: Buffer, box: Box, ver: number, out: MetaBoxes): void {
  const entriesStart = box.body + 4 + (ver === 0 ? 2 : 4);
  for (const infe of boxes(b, entriesStart, box.end)) {
    if (infe.type !== "infe") continue;
    const iv = b[infe.body]!;
    if (iv < 2) continue;
    const q = infe.body + 4;
    const id = iv === 2 ? u16(b, q) : u32(b, q);
    out.types.set(id, fourcc(b, q + (iv === 2 ? 2 : 4) + 2));
  }
}

/** `iref`: typed references between items (dimg: grid tiles, auxl: auxiliary images). */
function parseIref(b: Buffer, box: Box, ver: number, out: MetaBoxes): void {
  const width = ver === 0 ? 2 : 4;
  for (const ref of boxes(b, box.body + 4, box.end)) {
    let q = ref.body;
    const rd = () => {
      const v = width === 2 ? u16(b, q) : u32(b, q);
      q += width;
      return v;
    };
    const from = rd();
    const count = u16(b, q);
    q += 2;
    const to: number[] = [];
    for (let i = 0; i < count && q < ref.end; i++) to.push(rd());
    out.refs.push({ type: ref.type, from, to });
  }
}

/** `ipma`: item id -> 1-based indexes into `ipco`'s properties. */
function parseIpma(b: Buffer, box: Box, out: MetaBoxes): void {
  const ver = b[box.body]!;
  const wide = (b.readUIntBE(box.body + 1, 3) & 1) === 1;
  let q = box.body + 4;
  const count = u32(b, q);
  q += 4;
  for (let i = 0; i < count && q < box.end; i++) {
    const id = ver < 1 ? u16(b, q) : u32(b, q);
    q += ver < 1 ? 2 : 4;
    const n = b[q]!;
    q += 1;
    const list: number[] = [];
    for (let j = 0; j < n; j++) {
      list.push(wide ? u16(b, q) & 0x7fff : b[q]! & 0x7f);
      q += wide ? 2 : 1;
    }
    out.assoc.set(id, list);
  }
}

/** `iprp`: the property list (`ipco`) and which item has which (`ipma`). */
function parseIprp(b: Buffer, box: Box, out: MetaBoxes): void {
  for (const child of boxes(b, box.body, box.end)) {
    if (child.type === "ipco") for (const prop of boxes(b, child.body, child.end)) out.props.push(prop);
    if (child.type === "ipma") parseIpma(b, child, out);
  }
}

/** `iloc`: every item's extents: in the file (construction method 0) or in `idat` (method 1). */
function parseIloc(b: Buffer, box: Box, ver: number, out: MetaBoxes): void {
  const p = box.body + 4;
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
  const count = readN(ver < 2 ? 2 : 4);
  for (let i = 0; i < count && q < box.end; i++) {
    const itemId = readN(ver < 2 ? 2 : 4);
    const method = ver === 1 || ver === 2 ? readN(2) & 15 : 0;
    q += 2; // data reference index
    const base = readN(baseSize);
    const extents = readN(2);
    for (let e = 0; e < extents; e++) {
      readN(idxSize);
      const off = readN(offSize);
      const len = readN(lenSize);
      if (method > 1) continue;
      if (method === 0) out.maxExtentEnd = Math.max(out.maxExtentEnd, base + off + len);
      const map = method === 0 ? out.extents : out.idatExtents;
      const list = map.get(itemId) ?? [];
      list.push({ offset: base + off, length: len });
      map.set(itemId, list);
    }
  }
}

/** Parse the children of `meta` (pitm, iinf, iref, iprp, iloc). */
export function parseMetaBoxes(b: Buffer, meta: Box): MetaBoxes {
  const out: MetaBoxes = { types: new Map(), props: [], assoc: new Map(), refs: [], extents: new Map(), idatExtents: new Map(), maxExtentEnd: 0 };
  for (const box of boxes(b, meta.body + 4, meta.end)) {
    const ver = b[box.body]!;
    if (box.type === "pitm") out.primary = ver === 0 ? u16(b, box.body + 4) : u32(b, box.body + 4);
    else if (box.type === "iinf") parseIinf(b, box, ver, out);
    else if (box.type === "iref") parseIref(b, box, ver, out);
    else if (box.type === "iprp") parseIprp(b, box, out);
    else if (box.type === "iloc") parseIloc(b, box, ver, out);
    else if (box.type === "idat") out.idat = box;
  }
  return out;
}

/** The primary item's declared size and rotation from its properties. */
function primaryProperties(b: Buffer, m: MetaBoxes, primary: number, out: HeifStructure): void {
  for (const idx of m.assoc.get(primary) ?? []) {
    const prop = m.props[idx - 1];
    if (prop?.type === "ispe") {
      out.width = u32(b, prop.body + 4);
      out.height = u32(b, prop.body + 8);
    } else if (prop?.type === "irot") {
      out.irot = (b[prop.body]! & 3) * 90;
    }
  }
}

/** The name of an item's ICC profile: its `colr` of type prof/rICC (nclx carries none). */
function itemIcc(b: Buffer, m: MetaBoxes, item: number): string | undefined {
  for (const idx of m.assoc.get(item) ?? []) {
    const prop = m.props[idx - 1];
    if (prop?.type !== "colr" || prop.end - prop.body <= 4) continue;
    // colr is a plain box (no version): colour_type, then the profile
    const kind = fourcc(b, prop.body);
    const name = kind === "prof" || kind === "rICC" ? iccDescription(b.subarray(prop.body + 4, prop.end)) : null;
    if (name) return name;
  }
  return undefined;
}

/** The primary image's ICC profile name; a grid without its own (iOS before 15) has its tiles'. */
function primaryIcc(b: Buffer, m: MetaBoxes, primary: number): string | undefined {
  const own = itemIcc(b, m, primary);
  if (own !== undefined) return own;
  const tile = m.refs.find((r) => r.type === "dimg" && r.from === primary)?.to[0];
  return tile === undefined ? undefined : itemIcc(b, m, tile);
}

/** The `auxC` types of auxiliary images attached to the primary (alpha, depth, Apple's HDR gain map). */
function auxiliaryTypes(b: Buffer, m: MetaBoxes, primary: number): string[] {
  const aux: string[] = [];
  for (const r of m.refs) {
    if (r.type !== "auxl" || !r.to.includes(primary)) continue;
    for (const idx of m.assoc.get(r.from) ?? []) {
      const prop = m.props[idx - 1];
      if (prop?.type !== "auxC") continue;
      const s = b.toString("latin1", prop.body + 4, prop.end);
      const nul = s.indexOf("\0");
      aux.push(nul >= 0 ? s.slice(0, nul) : s);
    }
  }
  return aux;
}

/** The Exif item's single extent, when it is one contiguous run inside the file (else exiftool reads it). */
function exifExtent(m: MetaBoxes, fileSize: number): Extent | undefined {
  for (const [id, type] of m.types) {
    if (type !== "Exif") continue;
    const ext = m.extents.get(id);
    const one = ext?.length === 1 ? ext[0]! : undefined;
    if (one && one.length > 8 && one.offset + one.length <= fileSize) return one;
  }
  return undefined;
}

/** Summarise a parsed `meta` box: the primary image, its tiles, aux images, Exif location, truncation. */
export function summariseMeta(b: Buffer, m: MetaBoxes, fileSize: number): HeifStructure {
  const out: HeifStructure = {};
  if (m.maxExtentEnd > fileSize) {
    out.problem = `truncated HEIF: image data runs to byte ${m.maxExtentEnd} but the file has ${fileSize}`;
  }
  const primary = m.primary;
  if (primary === undefined) return { ...out, problem: out.problem ?? "HEIF without a primary item" };
  const primaryType = m.types.get(primary);
  if (primaryType) out.primaryType = primaryType;
  primaryProperties(b, m, primary, out);
  const icc = primaryIcc(b, m, primary);
  if (icc) out.icc = icc;
  out.tiles = m.refs.filter((r) => r.type === "dimg" && r.from === primary).reduce((n, r) => n + r.to.length, 0);
  const aux = auxiliaryTypes(b, m, primary);
  if (aux.length) out.aux = aux;
  const exif = exifExtent(m, fileSize);
  if (exif) out.exif = exif;
  out.hasGainMap = [...m.types.values()].includes("tmap") || aux.some((a) => a.includes("hdrgainmap"));
  if (!out.width || !out.height) out.problem ??= "HEIF primary image has no declared size";
  return out;
}

/**
 * Read a HEIF's structure from the head of the file (which must hold the whole `meta` box):
 * primary item, its ispe/irot, grid tiles, aux images, Exif location, and whether any item's
 * data runs past the end of the file.
 */
export function heifStructure(b: Buffer, fileSize: number): HeifStructure {
  const meta = findMetaBox(b, fileSize);
  if ("problem" in meta) return meta;
  return summariseMeta(b, parseMetaBoxes(b, meta), fileSize);
}
