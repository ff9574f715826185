export { scanLibrary, type ScanOptions, type ScanResult } from "./scan.js";
export { readItem, displayedSize } from "./read.js";
export { parseCsv, decodeText, parseAppleCsvDate, safeName, readPhotoDetails, readAlbumCsv, parsePhotoDetails, parseNameList, PHOTO_DETAILS_HEADER } from "./csv.js";
export { applyExport, applyLibraryExports, partScope, sharedAlbumOf, type ExportCsv, type ExportResult } from "./apple-export.js";
export { scanZipPart, isZipFile, type ZipScanOptions, type ZipScanCounts } from "./zip-scan.js";
export { baseStem, type Variant } from "./names.js";
export { summarisePlan, ESTIMATE_MODEL, type PlanOptions } from "./plan.js";
export { makeBatches, lastDayOf } from "./batches.js";
export { hashPossiblyArchived } from "./known.js";
// Moved to @archive/core (the media module and the catalog); re-exported here for existing callers.
export {
  walkTree, ignoredName, identify, readImageMeta, readExiftoolMeta, metaFromExiftool, parseAppleMakerNote, captureFromName, cleanDate,
  readQuickTimeMeta, parseMoov, parseIso6709, regroup,
  type WalkEntry, type Probe, type MediaMeta, type ItemRecord, type PlanSummary, type Batch, type Calibration,
} from "@archive/core";
