export { convertLibrary, defaultConvertJobs, summaryOf, type ConvertOptions, type ConvertResult, type ConvertFilter, type Action, type PlannedItem, type RedoneOutput } from "./convert.js";
export { needsAttention } from "./types.js";
export { convertHeif, type PhotoOutcome } from "./photo.js";
export { convertVideo, ffmpegArgs, videoFilter, probeFilters, probeDuration, type VideoTools, type VideoOutcome } from "./video.js";
export { outputDir, candidateName, splitName, type Layout } from "./layout.js";
