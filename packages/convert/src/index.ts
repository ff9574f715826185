export { convertLibrary, type ConvertOptions, type ConvertResult, type ConvertFilter, type Action, type PlannedItem } from "./convert.js";
export { convertHeif, type PhotoOutcome } from "./photo.js";
export { convertVideo, ffmpegArgs, videoFilter, probeFilters, probeDuration, type VideoTools, type VideoOutcome } from "./video.js";
export { outputDir, candidateName, splitName, type Layout } from "./layout.js";
