import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ArchiveError, reasonOf, sha256Buffer } from "@archive/core";
import { parseSha256sumManifest } from "../format.js";
import { MANIFEST_NAME } from "../walk.js";
import { extraManifestName } from "./layout.js";

/** The workspace's manifest as the hand-off reads it: path -> SHA-256, and the file's own SHA-256. */
export interface LoadedManifest {
  entries: Map<string, string>;
  /** SHA-256 of manifest-sha256.txt's bytes: which manifest a proof was made against. */
  sha256: string;
}

/** Read manifest-sha256.txt; a missing or malformed manifest stops the run (nothing to prove against). */
export async function loadManifest(workspace: string): Promise<LoadedManifest> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(workspace, MANIFEST_NAME));
  } catch (err) {
    throw new ArchiveError("E_SOURCE_MISSING", `cannot read ${MANIFEST_NAME} (${reasonOf(err)}): run \`archive manifest\` first`);
  }
  const { entries, malformed } = parseSha256sumManifest(bytes.toString("utf8"));
  if (malformed.length) throw new ArchiveError("E_SOURCE_MISSING", `${MANIFEST_NAME}: line ${malformed[0]} is not a valid sha256sum line`);
  return { entries: new Map(entries.map((e) => [e.rel, e.sha256])), sha256: sha256Buffer(bytes) };
}

/** Parse an md5sum/sha1sum-format file (GNU escaped form included) into path -> lower-case hex. */
export function parseDigestManifest(text: string, hexLength: number): Map<string, string> {
  const out = new Map<string, string>();
  const re = new RegExp(`^([0-9a-fA-F]{${hexLength}}) [ *](.*)$`, "s");
  for (const raw of text.split("\n")) {
    let l = raw;
    const escaped = l.startsWith("\\");
    if (escaped) l = l.slice(1);
    const m = re.exec(l);
    if (!m) continue;
    let rel = m[2]!;
    if (escaped) rel = rel.replace(/\\(\\|n|r)/g, (_, c: string) => (c === "n" ? "\n" : c === "r" ? "\r" : "\\"));
    out.set(rel, m[1]!.toLowerCase());
  }
  return out;
}

/**
 * manifest-md5.txt / manifest-sha1.txt, checked to list exactly the files of the SHA-256 manifest
 * (an extra manifest from an older `archive manifest` run would prove the wrong set). Null if absent.
 */
export async function loadExtraManifest(workspace: string, algo: "md5" | "sha1", main: LoadedManifest): Promise<Map<string, string> | null> {
  let text: string;
  try {
    text = await readFile(join(workspace, extraManifestName(algo)), "utf8");
  } catch {
    return null;
  }
  const map = parseDigestManifest(text, algo === "md5" ? 32 : 40);
  const same = map.size === main.entries.size && [...main.entries.keys()].every((k) => map.has(k));
  if (!same) {
    throw new ArchiveError(
      "E_USAGE",
      `${extraManifestName(algo)} does not list the same files as ${MANIFEST_NAME}: run \`archive manifest --also ${algo}\` again`,
    );
  }
  return map;
}
