// The system rclone, run as a child process with argument arrays (core's execTool). The user's own
// configuration is used: rclone reads RCLONE_CONFIG (or its default file) from our environment.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { ArchiveError, execTool, isTempName } from "@archive/core";
import { EXCLUDED_TOP } from "../walk.js";
import { EXTRA_MANIFESTS, PROTECTION_DIR } from "./layout.js";

/** The rclone binary: $ARCHIVE_RCLONE, else `rclone` on PATH. */
const rcloneBin = () => process.env.ARCHIVE_RCLONE ?? "rclone";

/** A copy's location: a folder, or an rclone remote `name:path` (also `:backend:path`). */
export interface Destination {
  kind: "folder" | "rclone";
  /** The absolute folder, or the remote exactly as given: also the name its proofs are recorded under. */
  place: string;
}

/** `name:path` is an rclone remote unless it is an existing local path (or a drive letter). */
export function parseDestination(raw: string, cwd: string): Destination {
  const driveLetter = process.platform === "win32" && /^[A-Za-z]:/.test(raw);
  const remote = /^:?[\w.\- ]+:/.test(raw) && !driveLetter && !existsSync(resolve(cwd, raw));
  return remote ? { kind: "rclone", place: raw } : { kind: "folder", place: resolve(cwd, raw) };
}

/** What the listing leaves out: the same top-level names the workspace walk excludes. */
function filterArgs(): string[] {
  const tops = [...EXCLUDED_TOP, PROTECTION_DIR, ...EXTRA_MANIFESTS];
  return tops.flatMap((t) => ["--exclude", `/${t}`, "--exclude", `/${t}/**`]);
}

// rclone refuses --files-from-raw together with other filters: a list of names needs none.
const selectArgs = (filesFrom?: string): string[] => (filesFrom ? ["--files-from-raw", filesFrom] : filterArgs());

async function rclone(args: readonly string[], signal?: AbortSignal, onStdout?: (chunk: Buffer) => void): Promise<string> {
  const r = await execTool(rcloneBin(), args, { maxBuffer: 1 << 30, ...(signal ? { signal } : {}), ...(onStdout ? { onStdout } : {}), check: false });
  if (r.exitCode !== 0) {
    const why = r.stderr.trim().split("\n").filter((l) => !/NOTICE: Config file .* not found/.test(l)).slice(-3).join(" | ");
    throw new ArchiveError("E_TOOL_FAILED", `rclone ${args[0]} failed (exit ${r.exitCode ?? r.signal}): ${why}`);
  }
  return r.stdout;
}

/** The hash types the remote's backend stores (lower case): `rclone backend features`. */
export async function remoteHashTypes(remote: string, signal?: AbortSignal): Promise<string[]> {
  const out = await rclone(["backend", "features", remote], signal);
  const f = JSON.parse(out) as { Hashes?: string[] };
  return (f.Hashes ?? []).map((h) => h.toLowerCase());
}

/** One file at the remote. */
export interface RemoteFile {
  rel: string;
  size: number;
  /** The requested hash type's value, when the remote gave one. */
  hash?: string;
}

/**
 * Every file under the remote (`rclone lsjson -R --files-only`), with one hash type when asked
 * (from the backend, no download). `filesFrom` limits it to the names listed in that file.
 */
export async function listRemote(
  remote: string,
  opts: { hashType?: string; filesFrom?: string; signal?: AbortSignal } = {},
): Promise<RemoteFile[]> {
  const args = ["lsjson", "-R", "--files-only", "--no-mimetype", ...selectArgs(opts.filesFrom)];
  if (opts.hashType) args.push("--hash-type", opts.hashType);
  args.push("--", remote);
  const rows = JSON.parse(await rclone(args, opts.signal)) as { Path: string; Size: number; Hashes?: Record<string, string> }[];
  return rows
    .filter((r) => !r.Path.split("/").some(isTempName))
    .map((r) => {
      const hash = opts.hashType ? r.Hashes?.[opts.hashType] : undefined;
      return hash ? { rel: r.Path, size: r.Size, hash: hash.toLowerCase() } : { rel: r.Path, size: r.Size };
    });
}

/**
 * SHA-256 of files at a remote whose backend has none: `rclone hashsum sha256 --download` reads
 * each file through rclone and hashes it locally. Returns path -> hex; `onFile` gets the count
 * of files hashed so far as rclone reports them.
 */
export async function downloadHashes(
  remote: string,
  opts: { filesFrom?: string; signal?: AbortSignal; onFile?: (files: number) => void } = {},
): Promise<Map<string, string>> {
  const args = ["hashsum", "sha256", "--download", ...selectArgs(opts.filesFrom)];
  args.push("--", remote);
  // rclone prints a line as each file is hashed: counted as they come, for progress
  let files = 0;
  const onStdout = opts.onFile ? (d: Buffer) => {
    for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) files++;
    opts.onFile!(files);
  } : undefined;
  const out = await rclone(args, opts.signal, onStdout);
  const map = new Map<string, string>();
  for (const line of out.split("\n")) {
    const m = /^([0-9a-f]{64}) {2}(.*)$/.exec(line);
    if (m) map.set(m[2]!, m[1]!);
  }
  return map;
}

/**
 * Several digests of files under a local folder in one read of each file (`rclone lsjson --hash`
 * with several --hash-type: rclone's multi-hasher, files read in parallel). Path -> type -> hex.
 */
export async function localDigests(
  root: string,
  filesFrom: string,
  types: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, Record<string, string>>> {
  const args = ["lsjson", "-R", "--files-only", "--no-mimetype", "--files-from-raw", filesFrom, ...types.flatMap((t) => ["--hash-type", t]), "--", root];
  const rows = JSON.parse(await rclone(args, signal)) as { Path: string; Hashes?: Record<string, string> }[];
  return new Map(rows.map((r) => [r.Path, r.Hashes ?? {}]));
}
