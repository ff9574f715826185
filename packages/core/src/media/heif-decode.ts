/* eslint-disable @typescript-eslint/no-explicit-any */
import { createRequire } from "node:module";

// libheif compiled to WebAssembly (current libheif, so iOS 18 files with gain maps decode);
// the wasm-bundle entry has the module inlined and instantiates synchronously. Loaded on first
// use (~1.6 s), never at import: every package imports core.
const require = createRequire(import.meta.url);
let lib: any;
function libheif(): any {
  return (lib ??= require("libheif-js/wasm-bundle"));
}

/** The decoder's verdicts on a file (a read error keeps its errno code instead). */
export const HEIF_DECODE_CODES = ["EMPTY", "PARSE", "TRUNCATED", "NO_PRIMARY", "DECODE", "SIZE_MISMATCH", "USAGE", "DAMAGED"] as const;
export type HeifDecodeCode = (typeof HEIF_DECODE_CODES)[number];

/** A decode failure with a stable code (HEIF_DECODE_CODES). */
export class HeifDecodeError extends Error {
  readonly code: HeifDecodeCode;
  constructor(code: HeifDecodeCode, message: string) {
    super(message);
    this.name = "HeifDecodeError";
    this.code = code;
  }
}

export interface DecodedHeif {
  width: number;
  height: number;
  channels: 3;
  /** Interleaved RGB, copied out of the wasm heap (an ArrayBuffer of its own: transferable). */
  data: Buffer;
  /** The primary image's ICC profile (colr prof/rICC), trimmed to its header length. */
  icc: Buffer | null;
  /** The stored (ispe) size, before irot. */
  ispe: { w: number; h: number };
  /** irot angle (anticlockwise) and imir axis present on the primary item. */
  irot: number | null;
  imir: number | null;
  topLevelImages: number;
}

const ptrOf = (o: any): number => o.$$.ptr;
const fourcc = (t: number) => String.fromCharCode(t >>> 24, (t >>> 16) & 255, (t >>> 8) & 255, t & 255);

/** heif_error is returned by value: emscripten passes a pointer to the return struct first. */
function callErr(fn: (...a: number[]) => void, ...args: number[]): { code: number; sub: number } {
  const sret = lib._malloc(16);
  try {
    fn(sret, ...args);
    return { code: lib.HEAP32[sret >> 2], sub: lib.HEAP32[(sret >> 2) + 1] };
  } finally {
    lib._free(sret);
  }
}

function primaryIcc(handlePtr: number): Buffer | null {
  const type = fourcc(lib._heif_image_handle_get_color_profile_type(handlePtr) >>> 0);
  if (type !== "prof" && type !== "rICC") return null;
  const size = lib._heif_image_handle_get_raw_color_profile_size(handlePtr);
  if (!size) return null;
  const p = lib._malloc(size);
  try {
    if (callErr(lib._heif_image_handle_get_raw_color_profile, handlePtr, p).code) return null;
    let icc = Buffer.from(lib.HEAPU8.slice(p, p + size));
    // Some Samsung files store a profile a few bytes longer than its header says.
    const declared = icc.length >= 4 ? icc.readUInt32BE(0) : 0;
    if (declared > 128 && declared < icc.length) icc = icc.subarray(0, declared);
    return icc;
  } finally {
    lib._free(p);
  }
}

function transforms(ctxPtr: number, itemId: number): { irot: number | null; imir: number | null } {
  const out = lib._malloc(32);
  let irot: number | null = null;
  let imir: number | null = null;
  try {
    const n = lib._heif_item_get_transformation_properties(ctxPtr, itemId, out, 8);
    for (let i = 0; i < n; i++) {
      const pid = lib.HEAPU32[(out >> 2) + i];
      const t = fourcc(lib._heif_item_get_property_type(ctxPtr, itemId, pid) >>> 0);
      if (t === "irot") irot = lib._heif_item_get_property_transform_rotation_ccw(ctxPtr, itemId, pid);
      else if (t === "imir") imir = lib._heif_item_get_property_transform_mirror(ctxPtr, itemId, pid);
    }
  } finally {
    lib._free(out);
  }
  return { irot, imir };
}

/**
 * libheif reads item data lazily, so a truncated item only fails when touched; and the primary
 * may decode "successfully" while another item of the file is cut off (pillow_heif/truncated.heic).
 * Touch every item's compressed bytes (a copy, no decode: ~0.5 ms).
 */
function damagedItems(ctx: any): string[] {
  const cp = ptrOf(ctx);
  const bad: string[] = [];
  const sret = lib._malloc(16);
  const outc = lib._malloc(4);
  const outd = lib._malloc(4);
  const outs = lib._malloc(4);
  try {
    for (const id of lib.heif_context_get_list_of_item_IDs(ctx) as number[]) {
      lib.HEAPU32[outd >> 2] = 0;
      lib._heif_item_get_item_data(sret, cp, id, outc, outd, outs);
      const code = lib.HEAP32[sret >> 2];
      if (lib.HEAPU32[outd >> 2]) lib._heif_release_item_data(cp, outd);
      if (code) bad.push(`item ${id} (${lib.heif_item_get_item_type(ctx, id)})`);
    }
  } finally {
    for (const p of [sret, outc, outd, outs]) lib._free(p);
  }
  return bad;
}

/**
 * An open HEIF file, valid only inside the callback of `withHeif`: libheif's context and the
 * primary image's handle (released afterwards). For readers of more than the primary image
 * (auxiliary images such as a gain map, Exif/XMP blocks): see `HeifExtractor`.
 */
export interface OpenHeif {
  /** The libheif-js module (its `_heif_*` C functions and `heif_js_*` wrappers). */
  readonly lib: any;
  readonly ctx: any;
  readonly ctxPtr: number;
  readonly primary: any;
  readonly primaryPtr: number;
  readonly primaryItemId: number;
}

/** Reads something more from an open file next to the primary decode; its value must be structured-cloneable (it may cross a thread). */
export type HeifExtractor<T = unknown> = (heif: OpenHeif) => T;

/** Open `buf`, check that no item's data is cut off, find the primary image, run `fn`, release. */
export function withHeif<T>(buf: Uint8Array, fn: (heif: OpenHeif) => T): T {
  if (!buf.length) throw new HeifDecodeError("EMPTY", "empty file");
  libheif();
  const ctx = lib.heif_context_alloc();
  let handle: any = null;
  try {
    const err = lib.heif_context_read_from_memory(ctx, buf);
    if (err.code.value !== 0) throw new HeifDecodeError("PARSE", `not a readable HEIF file: ${err.message}`);
    const bad = damagedItems(ctx);
    if (bad.length) throw new HeifDecodeError("TRUNCATED", `truncated or damaged HEIF: data missing for ${bad.join(", ")}`);
    handle = lib.heif_js_context_get_primary_image_handle(ctx);
    if (!handle || handle.code) throw new HeifDecodeError("NO_PRIMARY", `no primary image: ${handle?.message ?? "?"}`);
    const primaryPtr = ptrOf(handle);
    const open: OpenHeif = { lib, ctx, ctxPtr: ptrOf(ctx), primary: handle, primaryPtr, primaryItemId: lib._heif_image_handle_get_item_id(primaryPtr) };
    return fn(open);
  } finally {
    if (handle && !handle.code) lib.heif_image_handle_release(handle);
    lib.heif_context_free(ctx);
  }
}

/**
 * Decode an image handle (the primary, or an auxiliary one) to interleaved RGB, copied out of the
 * wasm heap into memory of its own (never Node's shared pool, so it can be transferred).
 */
export function decodeHandleRgb(handle: any): { width: number; height: number; data: Buffer } {
  libheif();
  const declared = { w: lib.heif_image_handle_get_width(handle), h: lib.heif_image_handle_get_height(handle) };
  const img = lib.heif_js_decode_image2(handle, lib.heif_colorspace.heif_colorspace_RGB, lib.heif_chroma.heif_chroma_interleaved_RGB);
  try {
    if (!img || img.code) throw new HeifDecodeError("DECODE", `decode failed: ${img?.message ?? "?"}`);
    const ch = img.channels.find((c: any) => c.id === lib.heif_channel.heif_channel_interleaved);
    if (!ch) throw new HeifDecodeError("DECODE", "decoder returned no RGB plane");
    // a truncated HEIC can decode "successfully" to a tiny image: the declared size is the check
    if (ch.width !== declared.w || ch.height !== declared.h) {
      throw new HeifDecodeError("SIZE_MISMATCH", `decoded ${ch.width}x${ch.height}, but the primary image declares ${declared.w}x${declared.h}`);
    }
    const row = ch.width * 3;
    const data = Buffer.allocUnsafeSlow(row * ch.height);
    // ch.data is a view into the wasm heap: copy before the image is released
    if (ch.stride === row) data.set(ch.data.subarray(0, row * ch.height));
    else for (let y = 0; y < ch.height; y++) data.set(ch.data.subarray(y * ch.stride, y * ch.stride + row), y * row);
    return { width: ch.width, height: ch.height, data };
  } finally {
    if (img?.image) lib.heif_image_release(img.image);
  }
}

/**
 * Decode the primary image (full grid, irot/imir applied) and check it is whole. `extras` are
 * run on the open file too and their values returned under the same names (e.g. a gain map).
 * With `pixels: false` everything but the primary image's pixels (decoded natively instead).
 */
export function decodePrimary<E extends Record<string, HeifExtractor> = Record<never, HeifExtractor>>(
  buf: Uint8Array,
  extras?: E,
  options: { pixels?: boolean } = {},
): DecodedHeif & { extras: { [K in keyof E]: ReturnType<E[K]> } } {
  return withHeif(buf, (h) => {
    const ispe = { w: lib._heif_image_handle_get_ispe_width(h.primaryPtr), h: lib._heif_image_handle_get_ispe_height(h.primaryPtr) };
    const { irot, imir } = transforms(h.ctxPtr, h.primaryItemId);
    const icc = primaryIcc(h.primaryPtr);
    // without pixels (decoded elsewhere): the declared size after irot, and no data
    const { width, height, data } =
      options.pixels === false
        ? { width: lib.heif_image_handle_get_width(h.primary) as number, height: lib.heif_image_handle_get_height(h.primary) as number, data: Buffer.alloc(0) }
        : decodeHandleRgb(h.primary);
    const got: Record<string, unknown> = {};
    for (const [name, extract] of Object.entries(extras ?? {})) got[name] = extract(h);
    const topLevelImages: number = lib.heif_context_get_number_of_top_level_images(h.ctx);
    return { width, height, channels: 3, data, icc, ispe, irot, imir, topLevelImages, extras: got as { [K in keyof E]: ReturnType<E[K]> } };
  });
}

/** Bytes of wasm heap in use (it never shrinks; workers are recycled when it grows large). */
export function heapBytes(): number {
  return lib ? lib.HEAPU8.length : 0;
}
