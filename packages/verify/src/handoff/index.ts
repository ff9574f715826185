// Hand-off (issue 11): prove copies elsewhere, scrub over time, PAR2 protection and repair.
export { checkCopy, type CopyCheckOptions, type CopyCheckReport } from "./check.js";
export { parseDestination, type Destination } from "./rclone.js";
export { loadManifest, parseDigestManifest, type LoadedManifest } from "./manifests.js";
export { PROTECTION_DIR, EXTRA_MANIFESTS, extraManifestName } from "./layout.js";
export { protect, unprotectedFiles, type ProtectOptions, type ProtectResult, type NewSet } from "./protect.js";
export { repair, type RepairOptions, type RepairResult } from "./repair.js";
export { writeExtraManifests, type ExtraDigest, type ExtraManifestsResult } from "./extra.js";
