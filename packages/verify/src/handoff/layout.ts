// Names the hand-off and protection features add to a workspace.

/** PAR2 recovery sets live here (workspace-relative); not part of the archive's payload. */
export const PROTECTION_DIR = "protection";

/** Extra manifests for clouds that store only MD5 or SHA-1 (`archive manifest --also md5,sha1`). */
export const EXTRA_MANIFESTS = ["manifest-md5.txt", "manifest-sha1.txt"] as const;

/** The file name of the extra manifest for a digest. */
export const extraManifestName = (algo: "md5" | "sha1"): string => `manifest-${algo}.txt`;
