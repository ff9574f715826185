export { compareSameSize, runStages, emptyStats, SMALL_FILE, EMPTY_SHA256, type Candidate, type ContentSet, type StageStats, type StageOptions } from "./stages.js";
export { chooseKeeper, underPrefix, type KeeperFacts, type KeepReason } from "./keeper.js";
export {
  findSourceDuplicates, recordGroups, duplicateOf, archivedCopyOf, newContentCount, toGroups,
  type DuplicateGroup, type DuplicateMember, type DedupeReport, type FindOptions, type DuplicateOf, type NewContent,
} from "./source.js";
export { findArchiveDuplicates, journalledFiles, ARCHIVE_DIRS, QUARANTINE_DIR, QUARANTINE_LOG, type ArchiveOptions } from "./archive.js";
export { BatchPool, type BatchResult } from "./workers.js";
export { dedupeSummary, JOURNALLED_REASON, linkDuplicates, quarantineDuplicates, restoreQuarantine, readQuarantineLog, sameBytes, type ActionResult, type ActionOptions, type LogEntry } from "./actions.js";
