export { walkTree, ignoredName, type WalkEntry } from "./walk.js";
export { scanLibrary, readItem, displayedSize, type ScanOptions, type ScanResult, type ItemRecord } from "./scan.js";
export { identify, type Probe } from "./magic.js";
export { readImageMeta, readExiftoolMeta, metaFromExiftool, parseAppleMakerNote, captureFromName, cleanDate, type MediaMeta } from "./metadata.js";
export { parseCsv, decodeText, parseAppleCsvDate, safeName, readPhotoDetails, readAlbumCsv } from "./csv.js";
export { regroup } from "./group.js";
export { baseStem, type Variant } from "./names.js";
export { summarisePlan, makeBatches, ESTIMATE_MODEL, type PlanSummary, type PlanOptions, type Batch, type Calibration } from "./plan.js";
export { readQuickTimeMeta, parseMoov, parseIso6709 } from "./quicktime.js";
