/* eslint-disable @typescript-eslint/no-explicit-any */
// HEIF extractors (see heif-extras.ts) for the photo path without loss: the primary image's Exif
// and XMP blocks as bytes, and the HDR gain map (Apple's auxiliary image, its XMP and an iOS 18
// `tmap` item's ISO 21496-1 metadata). Measured on the iPhone fixtures: libheif hands the aux
// gain map out already rotated like the primary (2016x1512 stored, 1512x2016 for a 3024x4032
// primary), 8-bit monochrome; the `tmap` item's gain-map input is that same aux image.
import { APPLE_GAINMAP_URN } from "./gainmap.js";
import type { OpenHeif } from "./heif-decode.js";

/** The primary image's metadata blocks, byte-exact. */
export interface HeifMetadataBlocks {
  /** The Exif item as stored (a 4-byte offset, then usually "Exif\0\0" and the TIFF block). */
  exif: Uint8Array | null;
  /** The XMP packet (mime item of type application/rdf+xml). */
  xmp: Uint8Array | null;
}

/** The HDR gain map of a HEIF, decoded to 8-bit grey in the primary image's orientation. */
export interface HeifGainMap {
  width: number;
  height: number;
  data: Uint8Array;
  /** The gain map's own XMP (Apple: HDRGainMapVersion, HDRGainMapHeadroom). */
  xmp: Uint8Array | null;
  /** The `tmap` item's bytes (ISO 21496-1 metadata with a version byte), iOS 18 and later. */
  tmap: Uint8Array | null;
  /** Why the map could not be decoded (the photo still converts, without it). */
  error?: string;
}

function cString(lib: any, p: number): string {
  let s = "";
  for (let i = p; p && lib.HEAPU8[i]; i++) s += String.fromCharCode(lib.HEAPU8[i]);
  return s;
}

function itemData(h: OpenHeif, id: number): Uint8Array | null {
  const { lib } = h;
  const sret = lib._malloc(16);
  const outc = lib._malloc(4);
  const outd = lib._malloc(4);
  const outs = lib._malloc(8);
  try {
    lib.HEAPU32[outd >> 2] = 0;
    lib._heif_item_get_item_data(sret, h.ctxPtr, id, outc, outd, outs);
    const d = lib.HEAPU32[outd >> 2];
    if (lib.HEAP32[sret >> 2] || !d) return null;
    const size = lib.HEAPU32[outs >> 2];
    const out = new Uint8Array(lib.HEAPU8.slice(d, d + size));
    lib._heif_release_item_data(h.ctxPtr, outd);
    return out;
  } finally {
    for (const p of [sret, outc, outd, outs]) lib._free(p);
  }
}

/** Exif and XMP blocks attached to an image handle (the first of each). */
function blocksOf(h: OpenHeif, handlePtr: number): HeifMetadataBlocks {
  const { lib } = h;
  const out: HeifMetadataBlocks = { exif: null, xmp: null };
  const n = lib._heif_image_handle_get_number_of_metadata_blocks(handlePtr, 0);
  if (n <= 0) return out;
  const ids = lib._malloc(4 * n);
  try {
    lib._heif_image_handle_get_list_of_metadata_block_IDs(handlePtr, 0, ids, n);
    for (let i = 0; i < n; i++) {
      const id = lib.HEAPU32[(ids >> 2) + i];
      const type = cString(lib, lib._heif_image_handle_get_metadata_type(handlePtr, id));
      const content = cString(lib, lib._heif_image_handle_get_metadata_content_type(handlePtr, id));
      if (type === "Exif" && !out.exif) out.exif = itemData(h, id);
      else if (type === "mime" && content === "application/rdf+xml" && !out.xmp) out.xmp = itemData(h, id);
    }
  } finally {
    lib._free(ids);
  }
  return out;
}

/** Extractor "metadata": the primary image's Exif and XMP as stored. */
export function extractMetadata(h: OpenHeif): HeifMetadataBlocks {
  return blocksOf(h, h.primaryPtr);
}

/** The aux handle pointer of Apple's gain map, or 0. The caller releases it. */
function gainMapHandle(h: OpenHeif): number {
  const { lib } = h;
  const n = lib._heif_image_handle_get_number_of_auxiliary_images(h.primaryPtr, 0);
  if (n <= 0) return 0;
  const ids = lib._malloc(4 * n);
  const out = lib._malloc(4);
  const typeOut = lib._malloc(4);
  const sret = lib._malloc(16);
  try {
    lib._heif_image_handle_get_list_of_auxiliary_image_IDs(h.primaryPtr, 0, ids, n);
    for (let i = 0; i < n; i++) {
      lib._heif_image_handle_get_auxiliary_image_handle(sret, h.primaryPtr, lib.HEAPU32[(ids >> 2) + i], out);
      if (lib.HEAP32[sret >> 2]) continue;
      const aux = lib.HEAPU32[out >> 2];
      lib._heif_image_handle_get_auxiliary_type(sret, aux, typeOut);
      const type = lib.HEAP32[sret >> 2] ? "" : cString(lib, lib.HEAPU32[typeOut >> 2]);
      if (!lib.HEAP32[sret >> 2]) lib._heif_image_handle_release_auxiliary_type(aux, typeOut);
      if (type === APPLE_GAINMAP_URN) return aux;
      lib._heif_image_handle_release(aux);
    }
    return 0;
  } finally {
    for (const p of [ids, out, typeOut, sret]) lib._free(p);
  }
}

/** Decode an image handle to one 8-bit grey plane (libheif: colorspace monochrome, chroma monochrome). */
function decodeGrey(lib: any, handle: number): { width: number; height: number; data: Uint8Array } {
  const sret = lib._malloc(16);
  const imgOut = lib._malloc(4);
  const strideOut = lib._malloc(4);
  let img = 0;
  try {
    lib._heif_decode_image(sret, handle, imgOut, 2, 0, 0);
    if (lib.HEAP32[sret >> 2]) throw new Error(`gain map decode failed (libheif error ${lib.HEAP32[sret >> 2]})`);
    img = lib.HEAPU32[imgOut >> 2];
    const width = lib._heif_image_get_width(img, 0);
    const height = lib._heif_image_get_height(img, 0);
    if (width !== lib._heif_image_handle_get_width(handle) || height !== lib._heif_image_handle_get_height(handle)) {
      throw new Error(`gain map decoded ${width}x${height}, declared otherwise`);
    }
    const p = lib._heif_image_get_plane_readonly(img, 0, strideOut);
    const stride = lib.HEAPU32[strideOut >> 2];
    const data = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) data.set(lib.HEAPU8.subarray(p + y * stride, p + y * stride + width), y * width);
    return { width, height, data };
  } finally {
    if (img) lib._heif_image_release(img);
    for (const p of [sret, imgOut, strideOut]) lib._free(p);
  }
}

/** The first `tmap` item's bytes, or null. */
function tmapItem(h: OpenHeif): Uint8Array | null {
  for (const id of h.lib.heif_context_get_list_of_item_IDs(h.ctx) as number[]) {
    if (h.lib.heif_item_get_item_type(h.ctx, id) === "tmap") return itemData(h, id);
  }
  return null;
}

/** Extractor "gainmap": Apple's HDR gain map with its XMP and the `tmap` metadata; null for SDR files. */
export function extractGainMap(h: OpenHeif): HeifGainMap | null {
  const aux = gainMapHandle(h);
  if (!aux) return null;
  try {
    const grey = decodeGrey(h.lib, aux);
    return { ...grey, xmp: blocksOf(h, aux).xmp, tmap: tmapItem(h) };
  } catch (err) {
    // a damaged gain map must not cost the photo: it converts as SDR, with the reason
    return { width: 0, height: 0, data: new Uint8Array(0), xmp: null, tmap: null, error: err instanceof Error ? err.message : String(err) };
  } finally {
    h.lib._heif_image_handle_release(aux);
  }
}
