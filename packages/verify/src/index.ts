export { buildManifest, hashFiles, writeBag, BAG_SOFTWARE_AGENT, type ManifestOptions, type ManifestResult, type HashedFile } from "./manifest.js";
export { verify, type VerifyOptions, type VerifyReport } from "./verify.js";
export { checkFixity } from "./fixity.js";
export { checkCompleteness, type ItemOutcome } from "./completeness.js";
export { checkMetadata, compareParity, parityFromTags, readParity, GPS_TOLERANCE, DURATION_TOLERANCE, type ParityMeta } from "./metadata.js";
export { checkDecode, decodeImage, decodeVideo, probeVideo, sniff, type VideoDecodeResult } from "./decode.js";
export { sha256sumLine, parseSha256sumLine, parseSha256sumManifest, bagitEncodePath, bagitDecodePath, bagitLine } from "./format.js";
export { walkArchive, MANIFEST_NAME, BAG_DIR, EXCLUDED_TOP, type ArchiveFile, type WalkResult } from "./walk.js";
export type { CheckName, CheckResult, Failure } from "./report.js";
