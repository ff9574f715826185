/* eslint-disable @typescript-eslint/no-explicit-any */
import { createRequire } from "node:module";

// libheif compiled to WebAssembly (current libheif, so iOS 18 files with gain maps decode);
// the wasm-bundle entry has the module inlined and instantiates synchronously.
const require = createRequire(import.meta.url);
const lib: any = require("libheif-js/wasm-bundle");

/** A decode failure with a stable code: EMPTY, PARSE, TRUNCATED, NO_PRIMARY, DECODE, SIZE_MISMATCH. */
export class HeifDecodeError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface DecodedHeif {
  width: number;
  height: number;
  channels: 3;
  /** Interleaved RGB, copied out of the wasm heap. */
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

/** Decode the primary image (full grid, irot/imir applied) and check it is whole. */
export function decodePrimary(buf: Buffer): DecodedHeif {
  if (!buf.length) throw new HeifDecodeError("EMPTY", "empty file");
  const ctx = lib.heif_context_alloc();
  let handle: any = null;
  let img: any = null;
  try {
    const err = lib.heif_context_read_from_memory(ctx, buf);
    if (err.code.value !== 0) throw new HeifDecodeError("PARSE", `not a readable HEIF file: ${err.message}`);
    const bad = damagedItems(ctx);
    if (bad.length) throw new HeifDecodeError("TRUNCATED", `truncated or damaged HEIF: data missing for ${bad.join(", ")}`);
    handle = lib.heif_js_context_get_primary_image_handle(ctx);
    if (!handle || handle.code) throw new HeifDecodeError("NO_PRIMARY", `no primary image: ${handle?.message ?? "?"}`);
    const hp = ptrOf(handle);
    const itemId = lib._heif_image_handle_get_item_id(hp);
    const declared = { w: lib.heif_image_handle_get_width(handle), h: lib.heif_image_handle_get_height(handle) };
    const ispe = { w: lib._heif_image_handle_get_ispe_width(hp), h: lib._heif_image_handle_get_ispe_height(hp) };
    const { irot, imir } = transforms(ptrOf(ctx), itemId);
    const icc = primaryIcc(hp);
    img = lib.heif_js_decode_image2(handle, lib.heif_colorspace.heif_colorspace_RGB, lib.heif_chroma.heif_chroma_interleaved_RGB);
    if (!img || img.code) throw new HeifDecodeError("DECODE", `decode failed: ${img?.message ?? "?"}`);
    const ch = img.channels.find((c: any) => c.id === lib.heif_channel.heif_channel_interleaved);
    if (!ch) throw new HeifDecodeError("DECODE", "decoder returned no RGB plane");
    if (ch.width !== declared.w || ch.height !== declared.h) {
      throw new HeifDecodeError("SIZE_MISMATCH", `decoded ${ch.width}x${ch.height}, but the primary image declares ${declared.w}x${declared.h}`);
    }
    const row = ch.width * 3;
    // ch.data is a view into the wasm heap: copy before the image is released
    let data: Buffer;
    if (ch.stride === row) data = Buffer.from(ch.data.subarray(0, row * ch.height));
    else {
      data = Buffer.allocUnsafe(row * ch.height);
      for (let y = 0; y < ch.height; y++) data.set(ch.data.subarray(y * ch.stride, y * ch.stride + row), y * row);
    }
    return {
      width: ch.width,
      height: ch.height,
      channels: 3,
      data,
      icc,
      ispe,
      irot,
      imir,
      topLevelImages: lib.heif_context_get_number_of_top_level_images(ctx),
    };
  } finally {
    if (img?.image) lib.heif_image_release(img.image);
    if (handle && !handle.code) lib.heif_image_handle_release(handle);
    lib.heif_context_free(ctx);
  }
}

/** Bytes of wasm heap in use (it never shrinks; workers are recycled when it grows large). */
export function heapBytes(): number {
  return lib.HEAPU8.length;
}
