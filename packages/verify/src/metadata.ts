import { constants, existsSync } from "node:fs";
import { access, mkdir, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  forEachLimit,
  headHasGainMap,
  itemLocation,
  ZipMembers,
  metaFromExiftool,
  parityRows,
  parseCaptureTime,
  reasonOf,
  tagNumber,
  tagText,
  type Catalog,
  type CaptureTime,
  type ExifTool,
  type OnEvent,
  type ParityRow,
  type Tags,
} from "@archive/core";
import type { ItemOutcome } from "./completeness.js";
import { newCheck, record, type CheckResult } from "./report.js";

/** The fields parity compares, read the same way from source and output. */
export interface ParityMeta {
  capture?: CaptureTime;
  gpsLat?: number;
  gpsLon?: number;
  make?: string;
  model?: string;
  /** Width and height as displayed (after EXIF orientation / video rotation). */
  width?: number;
  height?: number;
  duration?: number;
  contentId?: string;
  /** An HDR gain map is present (HEIF aux map or tmap; JPEG ISO 21496-1), read from the file's head. */
  gainMap?: boolean;
  video: boolean;
}

/** Displayed size from exiftool's tags: HEIF `irot` comes as text ("Rotate 90 CW"), which the shared mapping leaves out. */
function displayedSize(t: Tags, video: boolean): { width: number; height: number } | undefined {
  const w = tagNumber(t.ImageWidth) ?? tagNumber(t.ExifImageWidth);
  const h = tagNumber(t.ImageHeight) ?? tagNumber(t.ExifImageHeight);
  if (!w || !h) return undefined;
  const o = tagNumber(t.Orientation);
  // videos: the display matrix in degrees; HEIF: exiftool's Rotation is `irot` as text.
  // iPhones write both irot and EXIF Orientation for the same turn, so either one means "swapped".
  const rot = tagNumber(t.Rotation) ?? (/\b(90|270)\b/.test(tagText(t.Rotation) ?? "") ? 90 : undefined);
  const swap = (!video && o !== undefined && o >= 5 && o <= 8) || (rot !== undefined && Math.abs(rot % 180) === 90);
  return swap ? { width: h, height: w } : { width: w, height: h };
}

/**
 * Map exiftool tags to the parity fields with core's one mapping (`metaFromExiftool`, one date
 * cleaner). Video capture: Apple's CreationDate (local + offset), else QuickTime CreateDate, UTC
 * by specification (so its offset is +00:00 here: parity compares instants).
 */
export function parityFromTags(t: Tags): ParityMeta {
  const video = String(tagText(t.MIMEType) ?? "").startsWith("video/");
  const meta = metaFromExiftool(t);
  const m: ParityMeta = { video };
  if (meta.capture) m.capture = video && meta.capture.offset === null ? { ...meta.capture, offset: "+00:00" } : meta.capture;
  if (meta.gpsLat !== undefined && meta.gpsLon !== undefined) {
    m.gpsLat = meta.gpsLat;
    m.gpsLon = meta.gpsLon;
  }
  if (meta.make) m.make = meta.make;
  if (meta.model) m.model = meta.model;
  const size = displayedSize(t, video);
  if (size) Object.assign(m, size);
  if (meta.duration !== undefined && video) m.duration = meta.duration;
  if (meta.contentId) m.contentId = meta.contentId;
  return m;
}

/** Read parity fields with the caller's ExifTool. */
export async function readParity(et: ExifTool, path: string): Promise<ParityMeta> {
  const t = (await et.read(path, { readArgs: ["-api", "LargeFileSupport=1"] } as never)) as unknown as Tags;
  const err = tagText(t.Error);
  if (err) throw new Error(err);
  const m = parityFromTags(t);
  if (!m.video) m.gainMap = await gainMapOf(path);
  return m;
}

/** Whether the photo at `path` carries an HDR gain map (its first 256 KiB say). */
async function gainMapOf(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, 256 * 1024));
    await fh.read(head, 0, head.length, 0);
    return headHasGainMap(head, size);
  } finally {
    await fh.close();
  }
}

/** Catalog fields as parity fields, for when the source library is not reachable. */
function parityFromCatalog(r: ParityRow): ParityMeta {
  const video = r.kind === "video";
  const m: ParityMeta = { video };
  if (r.capture_local) {
    const c = parseCaptureTime(r.capture_local.replace("T", " "), r.capture_offset);
    if (c) m.capture = c;
  }
  if (r.gps_lat !== null && r.gps_lon !== null) {
    m.gpsLat = r.gps_lat;
    m.gpsLon = r.gps_lon;
  }
  if (r.make) m.make = r.make;
  if (r.model) m.model = r.model;
  if (r.width && r.height) {
    // scan catalogues the displayed size (irot, EXIF orientation or video rotation applied)
    m.width = r.width;
    m.height = r.height;
  }
  if (r.duration !== null && video) m.duration = r.duration;
  if (r.content_id) m.contentId = r.content_id;
  return m;
}

/**
 * Where zip members are copied for reading, one at a time: the workspace's .archive/tmp (as
 * convert does), or a folder in the OS temp folder when the workspace is read-only (`own` false:
 * the caller removes it after).
 */
async function memberTmpDir(workspace: string): Promise<{ dir: string; own: boolean }> {
  const dir = join(workspace, ".archive", "tmp");
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    return { dir, own: true };
  } catch {
    return { dir: join(tmpdir(), `archive-verify-${process.pid}`), own: false };
  }
}

/**
 * The source's parity fields: read from the file, or from its zip member through a temp copy
 * (core's ZipMembers, the way convert reads it); null when neither the file nor its zip is there.
 */
async function sourceParity(et: ExifTool, cat: Catalog, members: ZipMembers, r: ParityRow): Promise<ParityMeta | null> {
  const loc = itemLocation(cat, r.id);
  if (loc?.container) {
    if (!existsSync(loc.container)) return null;
    return members.withFile(loc, (path) => readParity(et, path));
  }
  const source = `${r.root}/${r.rel_path}`;
  return existsSync(source) ? readParity(et, source) : null;
}

/** GPS tolerance in degrees (about 1 m): QuickTime ISO 6709 strings carry 4-5 decimals. */
export const GPS_TOLERANCE = 1e-5;
/** Video duration tolerance in seconds. */
export const DURATION_TOLERANCE = 0.1;

/** Differences between source and output parity fields; empty when they agree. */
export function compareParity(src: ParityMeta, out: ParityMeta): string[] {
  const d: string[] = [];
  if (src.capture) {
    if (!out.capture) d.push(`capture time ${src.capture.local}${src.capture.offset ?? ""} lost`);
    else {
      // without a source offset the instant is unknown: the local wall-clock time must survive
      const instantDiffers = src.capture.offset !== null && Math.abs(src.capture.utcMs - out.capture.utcMs) >= 1000;
      if (instantDiffers || src.capture.local.slice(0, 19) !== out.capture.local.slice(0, 19))
        d.push(`capture time ${src.capture.local}${src.capture.offset ?? ""} became ${out.capture.local}${out.capture.offset ?? ""}`);
      else if (src.capture.offset && src.capture.offset !== out.capture.offset)
        d.push(`capture offset ${src.capture.offset} became ${out.capture.offset ?? "none"}`);
    }
  }
  if (src.gpsLat !== undefined && src.gpsLon !== undefined) {
    if (out.gpsLat === undefined || out.gpsLon === undefined) d.push("GPS position lost");
    else if (Math.abs(src.gpsLat - out.gpsLat) > GPS_TOLERANCE || Math.abs(src.gpsLon - out.gpsLon) > GPS_TOLERANCE)
      d.push(`GPS ${src.gpsLat},${src.gpsLon} became ${out.gpsLat},${out.gpsLon}`);
  }
  if (src.make && src.make !== out.make) d.push(`Make "${src.make}" became "${out.make ?? ""}"`);
  if (src.model && src.model !== out.model) d.push(`Model "${src.model}" became "${out.model ?? ""}"`);
  if (src.width && src.height) {
    // H.264 4:2:0 needs even sizes: allow the encoder to trim one pixel per side
    if (!out.width || !out.height || Math.abs(src.width - out.width) > 1 || Math.abs(src.height - out.height) > 1)
      d.push(`displayed size ${src.width}x${src.height} became ${out.width ?? "?"}x${out.height ?? "?"}`);
  }
  if (src.video && src.duration !== undefined) {
    if (out.duration === undefined) d.push("duration unknown in the output");
    else if (Math.abs(src.duration - out.duration) > DURATION_TOLERANCE)
      d.push(`duration ${src.duration.toFixed(3)} s became ${out.duration.toFixed(3)} s`);
  }
  if (src.gainMap && out.gainMap === false) d.push("HDR gain map lost (the source has one, the JPEG has no ISO 21496-1 gain map)");
  if (src.contentId && src.contentId !== out.contentId) d.push(`Live Photo content id ${src.contentId} ${out.contentId ? `became ${out.contentId}` : "lost"}`);
  return d;
}

/**
 * Metadata parity for converted items (action 'convert'): the source (or, when the library is not
 * reachable, its catalog record) against the output, both read with exiftool.
 */
export async function checkMetadata(options: {
  catalog: Catalog;
  workspace: string;
  exiftool: ExifTool;
  outcomes: Map<number, ItemOutcome>;
  concurrency: number;
  signal?: AbortSignal;
  onEvent: OnEvent;
}): Promise<CheckResult> {
  const started = Date.now();
  const check = newCheck("metadata");
  const rows: ParityRow[] = [];
  for (const r of parityRows(options.catalog)) if (options.outcomes.get(r.id)?.state === "done") rows.push(r);
  let fromCatalog = 0;
  let done = 0;
  options.onEvent({ kind: "stage", stage: "metadata", total: rows.length });
  const tmp = await memberTmpDir(options.workspace);
  const members = new ZipMembers(tmp.dir);
  try {
    await forEachLimit(
      rows,
      options.concurrency,
      async (r) => {
        const output = `${options.workspace}/${r.output_rel}`;
        try {
          let src = await sourceParity(options.exiftool, options.catalog, members, r);
          if (!src) {
            src = parityFromCatalog(r);
            fromCatalog++;
          }
          const out = await readParity(options.exiftool, output);
          // `convert --no-hdr` asked for no gain map: its absence is a choice, not a loss
          if (r.params?.includes('"gainMap":"off"')) delete src.gainMap;
          const diffs = compareParity(src, out);
          record(check, r.output_rel, diffs.length ? `${diffs.join("; ")} (source ${r.rel_path})` : undefined);
        } catch (err) {
          record(check, r.output_rel, `cannot read metadata: ${reasonOf(err)}`);
        }
        options.onEvent({ kind: "progress", stage: "metadata", done: ++done, total: rows.length, failed: check.failed });
      },
      options.signal,
    );
  } finally {
    await members.close();
    if (!tmp.own) await rm(tmp.dir, { recursive: true, force: true });
  }
  check.notes.push(
    `compared capture time and offset, GPS (within ${GPS_TOLERANCE} degrees), make/model, displayed size, video duration (within ${DURATION_TOLERANCE} s), Live Photo content id and HDR gain map presence of ${rows.length} converted files`,
  );
  if (fromCatalog) check.notes.push(`${fromCatalog} sources were not reachable: compared with their catalog record instead`);
  check.durationMs = Date.now() - started;
  return check;
}
