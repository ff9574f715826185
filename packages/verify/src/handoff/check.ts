// `archive verify --at DEST` and `--sample PCT`: prove a copy (or the workspace itself) against the
// workspace's manifest alone. No catalog is needed at the destination.
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import {
  ArchiveError,
  leastRecentlyVerified,
  noEvents,
  recordHandoff,
  recordVerified,
  throttleProgress,
  WORKSPACE_PLACE,
  type Catalog,
  type OnEvent,
  type ProofMethod,
} from "@archive/core";
import type { Failure } from "../report.js";
import { gatherFolder, gatherRemote, type Gathered, type RemoteRead } from "./gather.js";
import { loadExtraManifest, loadManifest, type LoadedManifest } from "./manifests.js";
import { parseDestination, remoteHashTypes, type Destination } from "./rclone.js";

export interface CopyCheckOptions {
  workspace: string;
  catalog: Catalog;
  /** DEST: a folder or an rclone remote `name:path`; omitted = the workspace itself (scrubbing). */
  at?: string;
  /** Resolves a relative DEST (default: the current folder). */
  cwd?: string;
  /** Read the files through rclone and hash them here (for backends without a usable hash). */
  download?: boolean;
  /** Re-read about this percent of the files, least recently verified first. */
  samplePct?: number;
  /** The workspace is read-only: check, but record nothing (no proof, no re-read times). */
  readOnly?: boolean;
  threads?: number;
  onEvent?: OnEvent;
  signal?: AbortSignal;
}

/** What a copy check found: every missing, extra, damaged and unreadable file named. */
export interface CopyCheckReport {
  ok: boolean;
  /** The destination as recorded (absolute folder or remote), or the workspace. */
  dest: string;
  kind: "workspace" | Destination["kind"];
  method: ProofMethod;
  /** SHA-256 of manifest-sha256.txt itself. */
  manifestSha256: string;
  manifestFiles: number;
  samplePct: number | null;
  /** Manifest entries checked this run (all, or the sample). */
  checked: number;
  passed: number;
  /** Bytes of the files that passed. */
  bytes: number;
  missing: string[];
  /** Files at the copy that the manifest does not list. */
  extra: string[];
  damaged: Failure[];
  unreadable: Failure[];
  /** A hand-off proof was recorded in the catalog (a passing check of a destination). */
  recorded: boolean;
  notes: string[];
  startedAt: string;
  durationMs: number;
}

/** Check a copy of the archive (or, without `at`, the workspace) against manifest-sha256.txt. */
export async function checkCopy(o: CopyCheckOptions): Promise<CopyCheckReport> {
  const started = Date.now();
  const onEvent = throttleProgress(o.onEvent ?? noEvents);
  const manifest = await loadManifest(o.workspace);
  const dest: Destination = o.at ? parseDestination(o.at, o.cwd ?? process.cwd()) : { kind: "folder", place: o.workspace };
  if (o.at && dest.kind === "folder" && resolve(dest.place) === resolve(o.workspace)) {
    throw new ArchiveError("E_USAGE", `${dest.place} is the workspace itself, not a copy: archive verify (or --sample PCT) checks it`);
  }
  const place = o.at ? dest.place : WORKSPACE_PLACE;
  const scope = sampleScope(o.catalog, place, manifest, o.samplePct);
  const sig = o.signal ? { signal: o.signal } : {};
  let method: ProofMethod = "sha256";
  let expected = manifest.entries;
  let got: Gathered;
  if (dest.kind === "folder") {
    if (!existsSync(dest.place)) throw new ArchiveError("E_SOURCE_MISSING", `${dest.place}: no such folder (for an rclone remote write name:path)`);
    got = await gatherFolder(dest.place, scope, { threads: o.threads ?? availableParallelism(), onEvent, ...sig });
  } else {
    const read = await chooseRead(o.workspace, dest.place, manifest, o.download === true, o.signal);
    method = "download" in read ? "rclone-download" : `rclone-${read.hashType}`;
    if ("hashType" in read && read.hashType !== "sha256") expected = (await loadExtraManifest(o.workspace, read.hashType, manifest))!;
    got = await gatherRemote(dest.place, read, scope, { onEvent, ...sig });
  }
  const cmp = compare(expected, got, scope);
  const at = new Date().toISOString();
  if (!o.readOnly) recordVerified(o.catalog, place, cmp.passed, at);
  const ok = !cmp.missing.length && !cmp.extra.length && !cmp.damaged.length && !cmp.unreadable.length;
  const checked = scope?.size ?? expected.size;
  const samplePct = o.samplePct ?? null;
  if (ok && o.at && !o.readOnly) {
    recordHandoff(o.catalog, { dest: dest.place, kind: dest.kind, verifiedAt: at, method, files: checked, bytes: cmp.bytes, manifestSha256: manifest.sha256, samplePct });
  }
  return {
    ok,
    dest: dest.place,
    kind: o.at ? dest.kind : "workspace",
    method,
    manifestSha256: manifest.sha256,
    manifestFiles: manifest.entries.size,
    samplePct,
    checked,
    passed: cmp.passed.length,
    bytes: cmp.bytes,
    missing: cmp.missing,
    extra: cmp.extra,
    damaged: cmp.damaged,
    unreadable: cmp.unreadable,
    recorded: ok && o.at !== undefined && !o.readOnly,
    notes: notesFor(method, samplePct, checked, manifest.entries.size),
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
  };
}

/** The files a `--sample PCT` run re-reads: the least recently verified ceil(PCT% of all). */
function sampleScope(cat: Catalog, place: string, m: LoadedManifest, pct: number | undefined): Set<string> | null {
  if (pct === undefined) return null;
  if (!(pct > 0 && pct <= 100)) throw new ArchiveError("E_USAGE", `--sample: expected a percentage above 0 and at most 100, got ${pct}`);
  const count = Math.ceil((m.entries.size * pct) / 100);
  return new Set(leastRecentlyVerified(cat, place, m.entries.keys(), count));
}

/**
 * How to read a remote: explicit `--download`; else the backend's SHA-256; else its MD5 or
 * SHA-1 against manifest-md5.txt / manifest-sha1.txt; else a usage error saying what to do.
 */
async function chooseRead(workspace: string, remote: string, m: LoadedManifest, download: boolean, signal?: AbortSignal): Promise<RemoteRead> {
  if (download) return { download: true };
  const types = await remoteHashTypes(remote, signal);
  if (types.includes("sha256")) return { hashType: "sha256" };
  for (const algo of ["md5", "sha1"] as const) {
    if (types.includes(algo) && (await loadExtraManifest(workspace, algo, m))) return { hashType: algo };
  }
  const has = types.length ? `it stores ${types.join(", ")}` : "it stores no hashes";
  const hint = types.some((t) => t === "md5" || t === "sha1")
    ? `run \`archive manifest --also ${types.filter((t) => t === "md5" || t === "sha1").join(",")}\` so the check needs no download, or pass --download`
    : "pass --download to read every file through rclone and hash it here";
  throw new ArchiveError("E_USAGE", `${remote}: the backend has no SHA-256 (${has}): ${hint}`);
}

interface Comparison {
  missing: string[];
  extra: string[];
  damaged: Failure[];
  unreadable: Failure[];
  passed: string[];
  bytes: number;
}

/** Manifest vs copy: extra files are always named; missing/damaged only within the scope. */
function compare(expected: Map<string, string>, got: Gathered, scope: Set<string> | null): Comparison {
  const c: Comparison = { missing: [], extra: [], damaged: [], unreadable: [...got.unreadable], passed: [], bytes: 0 };
  const unreadable = new Set(got.unreadable.map((u) => u.path));
  for (const rel of got.present.keys()) if (!expected.has(rel)) c.extra.push(rel);
  for (const rel of scope ?? expected.keys()) {
    const want = expected.get(rel)!;
    if (unreadable.has(rel)) continue;
    if (!got.present.has(rel)) c.missing.push(rel);
    else {
      const have = got.hashes.get(rel);
      if (have === undefined) c.unreadable.push({ path: rel, reason: "no digest could be read for this file" });
      else if (have !== want) c.damaged.push({ path: rel, reason: `checksum mismatch: manifest ${want}, copy ${have}` });
      else {
        c.passed.push(rel);
        c.bytes += got.present.get(rel)!;
      }
    }
  }
  c.extra.sort();
  return c;
}

function notesFor(method: ProofMethod, pct: number | null, checked: number, total: number): string[] {
  const how: Record<ProofMethod, string> = {
    sha256: "every file in scope was read and its SHA-256 compared with the manifest",
    "rclone-sha256": "SHA-256 from the remote's backend (rclone lsjson --hash), compared with manifest-sha256.txt",
    "rclone-md5": "MD5 from the remote's backend, compared with manifest-md5.txt (written from the same read that re-checked each file's SHA-256)",
    "rclone-sha1": "SHA-1 from the remote's backend, compared with manifest-sha1.txt (written from the same read that re-checked each file's SHA-256)",
    "rclone-download": "every file in scope was downloaded through rclone and its SHA-256 computed (rclone hashsum --download)",
  };
  const notes = [how[method]];
  if (pct !== null) notes.push(`--sample ${pct}%: ${checked} of ${total} files re-read, least recently verified first`);
  return notes;
}
