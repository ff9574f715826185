// Native decoding of a HEIF's primary image (issue 13: the wasm decoder was 75% of a photo's
// conversion). A HEIC's image is HEVC: one intra-coded picture, or a grid of them (an iPhone's
// 12 MP photo is 48 tiles of 512x512). This module turns the tiles into one HEVC Annex B stream
// (the hvcC parameter sets, then each tile's NAL units with start codes) and lets ffmpeg
// decode it (libavcodec), put the tiles together and convert to RGB (YCbCr matrix and range
// from the file's nclx, else from the bitstream, as libheif does). What it does not know for certain
// (AVIF, 10-bit, a crop, a mirror, an unusual matrix, a damaged item) it declines, and the caller
// falls back to libheif wasm. The result is upright (irot applied), as libheif's would be.
import type { Box } from "./boxes.js";
import { findMetaBox, parseMetaBoxes, type Extent, type MetaBoxes } from "./heif.js";
import { mkdtempSync, rmSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArchiveError } from "../errors.js";
import { execFilter } from "../exec.js";
import { HeifDecodeError } from "./heif-decode.js";
import { removeDeadProcessFiles } from "../fsutil.js";

/** How to decode the primary image natively, or why not. */
export interface NativePlan {
  cols: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  tiles: number;
  /** The primary image's stored size (the grid's output size, smaller than the tiles when cropped). */
  width: number;
  height: number;
  /** The primary image's irot, anticlockwise degrees: ffmpeg turns the image upright. */
  irot: 0 | 90 | 180 | 270;
  /** swscale's input matrix and range ("auto": what the HEVC bitstream says). */
  matrix: string;
  range: "auto" | "full" | "limited";
  /** Every tile as HEVC Annex B, in raster order. */
  stream: Buffer;
}

class Unsupported extends Error {}

const no = (why: string): never => {
  throw new Unsupported(why);
};

/** The image data itself is broken (not a feature we leave to libheif): the file is damaged. */
const damaged = (why: string): never => {
  throw new HeifDecodeError("DAMAGED", `damaged HEVC image data: ${why}`);
};

/** The properties of an item, by box type (first of each). */
function propsOf(m: MetaBoxes, id: number): Map<string, Box> {
  const out = new Map<string, Box>();
  for (const idx of m.assoc.get(id) ?? []) {
    const p = m.props[idx - 1];
    if (p && !out.has(p.type)) out.set(p.type, p);
  }
  return out;
}

/** The bytes of an item (file extents, or idat). */
function itemBytes(b: Buffer, m: MetaBoxes, id: number): Buffer {
  const inIdat = m.idatExtents.get(id);
  const list: Extent[] = inIdat ?? m.extents.get(id) ?? no(`item ${id} has no data`);
  const base = inIdat ? (m.idat ?? no("no idat box")).body : 0;
  const parts = list.map((e) => {
    const end = base + e.offset + e.length;
    if (end > b.length || (inIdat && end > m.idat!.end)) no(`item ${id}'s data runs past the end`);
    return b.subarray(base + e.offset, end);
  });
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** swscale's name for an nclx matrix_coefficients value (ISO/IEC 23091-2), as libheif reads it. */
function matrixName(mc: number): string {
  if (mc === 1) return "bt709";
  if (mc === 2 || mc === 5 || mc === 6) return "bt601"; // unspecified: libheif's default, BT.601
  if (mc === 4) return "fcc";
  if (mc === 7) return "smpte240m";
  if (mc === 9) return "bt2020";
  return no(`YCbCr matrix ${mc}`);
}

/** The colour conversion: the file's nclx (primary first, then the first tile), else the bitstream's. */
function colour(b: Buffer, primary: Map<string, Box>, tile: Map<string, Box>): Pick<NativePlan, "matrix" | "range"> {
  for (const props of [primary, tile]) {
    for (const [type, box] of props) {
      if (type !== "colr" || b.toString("latin1", box.body, box.body + 4) !== "nclx") continue;
      return { matrix: matrixName(b.readUInt16BE(box.body + 8)), range: b[box.body + 10]! & 0x80 ? "full" : "limited" };
    }
  }
  return { matrix: "auto", range: "auto" };
}

/** One tile's HEVC: its parameter sets (when they differ from the previous tile's) and its NAL units with start codes. */
function annexB(b: Buffer, hvcC: Box, data: Buffer, previous: Buffer | null, out: Buffer[]): Buffer {
  const START = Buffer.from([0, 0, 0, 1]);
  const config = b.subarray(hvcC.body, hvcC.end);
  if (config.length < 23) no("short hvcC");
  if ((config[16]! & 3) === 0 || (config[17]! & 7) !== 0 || (config[18]! & 7) !== 0) no("not 8-bit colour HEVC");
  if (!previous || !previous.equals(config)) {
    let p = 23;
    for (let i = 0; i < config[22]!; i++) {
      const n = config.readUInt16BE(p + 1);
      p += 3;
      for (let j = 0; j < n; j++) {
        const len = config.readUInt16BE(p);
        if (p + 2 + len > config.length) damaged("a parameter set runs past the end of its hvcC box");
        out.push(START, config.subarray(p + 2, p + 2 + len));
        p += 2 + len;
      }
    }
  }
  const size = (config[21]! & 3) + 1;
  for (let q = 0; q < data.length; ) {
    if (q + size > data.length) damaged(`a tile's NAL unit lengths do not add up to its ${data.length} bytes`);
    const len = data.readUIntBE(q, size);
    if (len === 0 || q + size + len > data.length) damaged(`a tile's NAL unit lengths do not add up to its ${data.length} bytes`);
    out.push(START, data.subarray(q + size, q + size + len));
    q += size + len;
  }
  return config;
}

/** The grid descriptor (ISO/IEC 23008-12 6.6.2.3.2): rows, columns, output size. */
function gridOf(g: Buffer): { rows: number; cols: number; width: number; height: number } {
  if (g.length < 8) no("short grid descriptor");
  const wide = (g[1]! & 1) === 1;
  if (wide && g.length < 12) no("short grid descriptor");
  return {
    rows: g[2]! + 1,
    cols: g[3]! + 1,
    width: wide ? g.readUInt32BE(4) : g.readUInt16BE(4),
    height: wide ? g.readUInt32BE(8) : g.readUInt16BE(6),
  };
}

/** How to decode `file`'s primary image natively; throws Unsupported with the reason. */
function planOf(file: Buffer): NativePlan {
  const meta = findMetaBox(file, file.length);
  if ("problem" in meta) no(meta.problem);
  const m = parseMetaBoxes(file, meta as Box);
  const primary = m.primary ?? no("no primary item");
  const type = m.types.get(primary);
  const pprops = propsOf(m, primary);
  for (const t of ["clap", "imir", "lsel", "a1op"]) if (pprops.has(t)) no(`the primary image has '${t}'`);
  const pixi = pprops.get("pixi");
  if (pixi && [...file.subarray(pixi.body + 5, pixi.end)].some((bits) => bits !== 8)) no("not 8 bits per channel");
  let ids = [primary];
  let grid = { rows: 1, cols: 1, width: 0, height: 0 };
  if (type === "grid") {
    ids = m.refs.find((r) => r.type === "dimg" && r.from === primary)?.to ?? no("grid without tiles");
    grid = gridOf(itemBytes(file, m, primary));
    if (ids.length !== grid.rows * grid.cols) no(`grid of ${grid.rows}x${grid.cols} with ${ids.length} tiles`);
  } else if (type !== "hvc1") no(`primary item of type ${type}`);
  const parts: Buffer[] = [];
  let previous: Buffer | null = null;
  let tileWidth = 0;
  let tileHeight = 0;
  for (const id of ids) {
    if (m.types.get(id) !== "hvc1") no(`tile of type ${m.types.get(id)}`);
    const props = propsOf(m, id);
    const ispe = props.get("ispe") ?? no("tile without ispe");
    const [w, h] = [file.readUInt32BE(ispe.body + 4), file.readUInt32BE(ispe.body + 8)];
    if (tileWidth && (w !== tileWidth || h !== tileHeight)) no("tiles of different sizes");
    // the tile filter lays out what the decoder gives: a tile of odd size is coded larger than declared
    if (type === "grid" && (w % 2 || h % 2)) no("grid tiles of odd size");
    [tileWidth, tileHeight] = [w, h];
    if (props.has("clap") || props.has("irot") || props.has("imir")) no("a transformed tile");
    previous = annexB(file, props.get("hvcC") ?? no("tile without hvcC"), itemBytes(file, m, id), previous, parts);
  }
  if (type !== "grid") grid = { rows: 1, cols: 1, width: tileWidth, height: tileHeight };
  if (grid.width > grid.cols * tileWidth || grid.height > grid.rows * tileHeight) no("grid larger than its tiles");
  const irotBox = pprops.get("irot");
  const irot = (irotBox ? (file[irotBox.body]! & 3) * 90 : 0) as NativePlan["irot"];
  return { ...grid, tileWidth, tileHeight, tiles: ids.length, irot, ...colour(file, pprops, propsOf(m, ids[0]!)), stream: Buffer.concat(parts) };
}

/** The plan for `file`, or the reason native decoding does not take it (then libheif wasm does). */
export function nativeHeifPlan(file: Buffer): NativePlan | { unsupported: string } {
  try {
    return planOf(file);
  } catch (err) {
    if (err instanceof Unsupported) return { unsupported: err.message };
    if (err instanceof RangeError) damaged(`the HEIF structure points outside its boxes (${err.message})`);
    throw err;
  }
}

/** ffmpeg's filters for irot (anticlockwise degrees), applied while the image is still YCbCr. */
const UPRIGHT = { 0: "", 90: "transpose=cclock,", 180: "hflip,vflip,", 270: "transpose=clock," } as const;

/**
 * ffmpeg's arguments: the Annex B stream on stdin; the tiles put together in raster order by
 * ffmpeg's `tile` filter, cropped to the grid's size and turned upright (irot) while still YCbCr;
 * the image as RGB24 into `out`. Chroma is upsampled nearest-neighbour, as libheif does: measured
 * on the 17 HEIC fixtures against libheif wasm, at most 14 levels apart and 0.1-0.6 on average
 * (bicubic or bilinear: up to 99). Not `bitexact`: the same pixels here, 0.05 s more CPU a photo.
 * A file, not a pipe: 37 MB through a pipe cost node 0.08 s of CPU a photo, a file 0.03 s.
 */
function ffmpegArgs(p: NativePlan, out: string): string[] {
  const grid = p.tiles > 1 ? `tile=layout=${p.cols}x${p.rows},` : "";
  // cropped to the declared size also when single (an odd-sized 4:2:0 image is coded one pixel
  // larger); an odd size can only be cut once the pixels are RGB
  const crop = `crop=${p.width}:${p.height}:0:0,`;
  const scale = `scale=in_color_matrix=${p.matrix}:in_range=${p.range}:out_range=full:flags=neighbor+accurate_rnd+full_chroma_int,format=rgb24`;
  const even = p.width % 2 === 0 && p.height % 2 === 0;
  const vf = even ? grid + crop + UPRIGHT[p.irot] + scale : `${grid + scale},${crop}${UPRIGHT[p.irot].replace(/,$/, "")}`.replace(/,$/, "");
  return ["-hide_banner", "-v", "error", "-nostdin", "-threads", "1", "-err_detect", "explode", "-xerror", "-f", "hevc", "-i", "pipe:0", "-vf", vf, "-filter_threads", "1", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", out];
}

let outputs = 0;
let privateDir: string | null = null;

/**
 * A folder of our own in the OS temp folder (mode 0700, made once per process, removed at exit;
 * those of killed processes are removed by the next one): a predictable name in /tmp itself
 * could be a link someone else planted, and ffmpeg's `-y` would write through it.
 */
function outputDir(): string {
  if (privateDir) return privateDir;
  removeDeadProcessFiles(tmpdir(), /^archive-heif-(\d+)-/);
  const dir = mkdtempSync(join(tmpdir(), `archive-heif-${process.pid}-`));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return (privateDir = dir);
}

/**
 * What ffmpeg's HEVC decoder said about the data, when the failure is that: its `[hevc @ ...]`
 * lines or "Error while decoding"/"Invalid data" (with `-err_detect explode -xerror` any damage
 * it notices ends the run). Null for every other failure (the caller then tries libheif).
 */
function decodeComplaint(message: string): string | null {
  if (!/\[hevc @|Error while decoding|Invalid data found/.test(message)) return null;
  return message.replace(/^[^:]*: /, "").replace(/\[hevc @ 0x[0-9a-f]+\] /g, "").slice(0, 300);
}

/** The primary image decoded natively: upright (irot applied), interleaved RGB. */
export interface NativeDecoded {
  width: number;
  height: number;
  data: Buffer;
  decodeMs: number;
}

/**
 * Decode `file`'s primary image with ffmpeg, or return the reason it is left to libheif wasm.
 * A decode that does not give the whole image rejects (the caller falls back, and libheif's
 * verdict on a damaged file is the one reported). The raw image passes through a file in a
 * private folder in the OS temp folder, removed at once.
 */
export async function decodeHeifNative(ffmpeg: string, file: Buffer, timeoutMs = 120_000): Promise<NativeDecoded | { unsupported: string }> {
  const t0 = performance.now();
  const plan = nativeHeifPlan(file);
  if ("unsupported" in plan) return plan;
  const [width, height] = plan.irot === 90 || plan.irot === 270 ? [plan.height, plan.width] : [plan.width, plan.height];
  const expected = width * height * 3;
  const out = join(outputDir(), `${++outputs}.rgb`);
  try {
    await execFilter(ffmpeg, ffmpegArgs(plan, out), plan.stream, { timeoutMs, maxOutput: 64 * 1024 }).catch((err: unknown) => {
      // the decoder's own complaint about the data (not a missing tool, a timeout or a full disk)
      const why = err instanceof ArchiveError ? decodeComplaint(err.message) : null;
      throw why ? new HeifDecodeError("DAMAGED", `damaged HEVC image data: ffmpeg: ${why}`) : err;
    });
    const data = Buffer.allocUnsafeSlow(expected);
    const fh = await open(out, "r");
    try {
      const { bytesRead } = await fh.read(data, 0, expected, 0);
      const { size } = await fh.stat();
      if (bytesRead !== expected || size !== expected) throw new Error(`ffmpeg gave ${size} bytes for a ${width}x${height} image, ${expected} expected`);
    } finally {
      await fh.close();
    }
    return { width, height, data, decodeMs: performance.now() - t0 };
  } finally {
    await rm(out, { force: true });
  }
}
