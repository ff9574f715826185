export { convertLibrary, type ConvertOptions, type ConvertResult, type ConvertFilter, type Action, type PlannedItem } from "./convert.js";
export { HeifPool, HeifError } from "./heif-pool.js";
export { convertHeif, type PhotoOutcome } from "./photo.js";
export { convertVideo, ffmpegArgs, videoFilter, probeFilters, probeDuration, type VideoTools, type VideoOutcome } from "./video.js";
export { outputDir, candidateName, splitName, type Layout } from "./layout.js";
/** Decode a HEIC/HEIF primary image (irot/imir applied) to RGB; loads libheif wasm (~1.6 s) on first call only. */
export const decodePrimary = async (buf: Buffer) => (await import("./heif-decode.js")).decodePrimary(buf);
