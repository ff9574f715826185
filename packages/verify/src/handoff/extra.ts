// `archive manifest --also md5,sha1`: manifest-md5.txt / manifest-sha1.txt for clouds that store
// only MD5 (S3, ...) or SHA-1 (B2, ...), so `verify --at` needs no download there. Each file is
// read once for all digests, and its SHA-256 from that same read must equal the manifest's:
// an MD5 is only ever recorded for the bytes the SHA-256 manifest proves.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeAtomically } from "@archive/core";
import { sha256sumLine } from "../format.js";
import type { Failure } from "../report.js";
import { extraManifestName } from "./layout.js";
import { loadManifest } from "./manifests.js";
import { localDigests } from "./rclone.js";

/** Digests `--also` accepts. */
export type ExtraDigest = "md5" | "sha1";

export interface ExtraManifestsResult {
  /** Manifests written (absolute paths); none when any file failed. */
  written: string[];
  files: number;
  /** Files whose bytes do not match the SHA-256 manifest, or that could not be read. */
  failures: Failure[];
}

/** Write manifest-md5.txt / manifest-sha1.txt for exactly the files of manifest-sha256.txt. */
export async function writeExtraManifests(workspace: string, algos: readonly ExtraDigest[], signal?: AbortSignal): Promise<ExtraManifestsResult> {
  const manifest = await loadManifest(workspace);
  const rels = [...manifest.entries.keys()];
  const failures: Failure[] = rels.filter((r) => /[\n\r]/.test(r)).map((path) => ({ path, reason: "the name has a line break, which rclone's file lists cannot name" }));
  const tmp = await mkdtemp(join(tmpdir(), "archive-also-"));
  let digests: Map<string, Record<string, string>>;
  try {
    const list = join(tmp, "files.txt");
    await writeFile(list, rels.filter((r) => !/[\n\r]/.test(r)).map((r) => r + "\n").join(""));
    digests = await localDigests(workspace, list, ["sha256", ...algos], signal);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  for (const [rel, want] of manifest.entries) {
    const d = digests.get(rel);
    if (failures.some((f) => f.path === rel)) continue;
    if (!d) failures.push({ path: rel, reason: "listed in the manifest but missing" });
    else if (d.sha256 !== want) failures.push({ path: rel, reason: `SHA-256 mismatch: manifest ${want}, file ${d.sha256 ?? "unreadable"}` });
  }
  if (failures.length) return { written: [], files: rels.length, failures };
  const written: string[] = [];
  for (const algo of algos) {
    const path = join(workspace, extraManifestName(algo));
    const text = rels.map((rel) => sha256sumLine(digests.get(rel)![algo]!, rel) + "\n").join("");
    await writeAtomically(path, (t) => writeFile(t, text));
    written.push(path);
  }
  return { written, files: rels.length, failures };
}
