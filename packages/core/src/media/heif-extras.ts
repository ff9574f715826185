// What a HEIF worker can read beside the primary image, by name: a caller of HeifDecoder asks
// for `extras: ["name"]` and gets each value under that name. Add readers of auxiliary images
// (an HDR gain map) or metadata blocks here, each from a file of its own next to this one.
import type { HeifExtractor } from "./heif-decode.js";
import { extractGainMap, extractMetadata } from "./heif-aux.js";

/** The extractors the HEIF worker knows, by the name a caller asks for. */
export const HEIF_EXTRACTORS: Record<string, HeifExtractor> = { metadata: extractMetadata, gainmap: extractGainMap };
