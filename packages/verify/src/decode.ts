import { open } from "node:fs/promises";
import sharp from "sharp";
import { execTool, forEachLimit, identify, reasonOf, SNIFF_BYTES, type ExecResult, type Format, type OnEvent } from "@archive/core";
import { newCheck, record, type CheckResult } from "./report.js";

/** The paths of ffmpeg and ffprobe for the video decode check. */
export interface VideoTools {
  ffmpeg: string;
  ffprobe: string;
}

/** What a file is by its first bytes, for choosing the decoder. */
export type Sniffed = "image" | "heif" | "raw" | "video" | "other";

const KIND: Partial<Record<Format, Sniffed>> = {
  jpeg: "image", png: "image", gif: "image", webp: "image", tiff: "image",
  dng: "raw",
  heic: "heif", heif: "heif", avif: "heif",
  mov: "video", mp4: "video", m4v: "video", "3gp": "video",
};

/** Identify a file by magic bytes (never by extension), with core's one sniffer (it knows every HEIF brand, hevm/hevs included). */
export async function sniff(path: string): Promise<Sniffed> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, SNIFF_BYTES));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return KIND[identify(head.subarray(0, bytesRead), size).format] ?? "other";
  } finally {
    await fh.close();
  }
}

/** Decode an image fully; a truncated or damaged file throws (libvips warnings count as failures). */
export async function decodeImage(path: string): Promise<void> {
  const img = sharp(path, { failOn: "warning", limitInputPixels: false, sequentialRead: true });
  const meta = await img.metadata();
  // stats() pulls every pixel through the decoder without keeping the image in memory
  await img.stats();
  if (!meta.width || !meta.height) throw new Error("no image size in the header");
}

/** How a video was checked and what was found. */
export interface VideoDecodeResult {
  containerDuration: number | undefined;
  decodedDuration: number | undefined;
  problem: string | undefined;
  ms: number;
}

const lastLines = (s: string, n = 2) => cleanStderr(s).split("\n").filter(Boolean).slice(-n).join(" | ");
/** ffmpeg's stderr without per-run noise (object addresses), for stable, readable reasons. */
const cleanStderr = (s: string) => s.replace(/ @ 0x[0-9a-f]+\]/g, "]").trim();

/**
 * Fast path: `ffprobe -count_packets` reads every packet (no decoding). A video stream with
 * fewer packets than its index declares is truncated.
 */
export async function probeVideo(ffprobe: string, path: string, signal?: AbortSignal): Promise<VideoDecodeResult> {
  const started = Date.now();
  const r = await execTool(
    ffprobe,
    ["-v", "error", "-count_packets", "-show_entries", "stream=codec_type,nb_frames,nb_read_packets:format=duration", "-of", "json", "--", path],
    { timeoutMs: 120_000, check: false, ...(signal ? { signal } : {}) },
  );
  const res: VideoDecodeResult = { containerDuration: undefined, decodedDuration: undefined, problem: undefined, ms: 0 };
  let truncated: string | undefined;
  let noVideo = false;
  try {
    const j = JSON.parse(r.stdout || "{}") as { streams?: { codec_type?: string; nb_frames?: string; nb_read_packets?: string }[]; format?: { duration?: string } };
    const d = Number(j.format?.duration);
    if (Number.isFinite(d)) res.containerDuration = d;
    const v = (j.streams ?? []).filter((s) => s.codec_type === "video");
    noVideo = v.length === 0;
    for (const s of v) {
      const declared = Number(s.nb_frames);
      const read = Number(s.nb_read_packets);
      if (Number.isFinite(declared) && Number.isFinite(read) && declared > 0 && read < declared)
        truncated = `truncated: ${read} of ${declared} video packets readable`;
    }
  } catch {
    // no JSON: ffprobe could not open the file; its stderr says why
  }
  const err = cleanStderr(r.stderr);
  if (truncated) res.problem = err ? `${truncated} (${err})` : truncated;
  else if (r.exitCode !== 0 || err) res.problem = `ffprobe: ${err || `exit code ${r.exitCode}`}`;
  else if (noVideo) res.problem = "no video stream";
  res.ms = Date.now() - started;
  return res;
}

/**
 * Full check: decode every frame with `ffmpeg -xerror -f null` (any decoder message is a failure;
 * -xerror makes corrupt input exit non-zero) and compare the decoded duration with the container's.
 */
export async function decodeVideo(ffmpeg: string, ffprobe: string, path: string, signal?: AbortSignal): Promise<VideoDecodeResult> {
  const started = Date.now();
  const probe = await probeVideo(ffprobe, path, signal);
  if (probe.problem) return { ...probe, ms: Date.now() - started };
  const r: ExecResult = await execTool(
    ffmpeg,
    ["-nostdin", "-hide_banner", "-v", "error", "-xerror", "-i", path, "-f", "null", "-progress", "pipe:1", "-"],
    { timeoutMs: 30 * 60_000, check: false, ...(signal ? { signal } : {}) },
  );
  const res: VideoDecodeResult = { containerDuration: probe.containerDuration, decodedDuration: undefined, problem: undefined, ms: 0 };
  const times = [...r.stdout.matchAll(/^out_time_us=(\d+)$/gm)];
  const last = times.at(-1);
  if (last) res.decodedDuration = Number(last[1]) / 1e6;
  if (r.exitCode !== 0) res.problem = `ffmpeg decode failed: ${lastLines(r.stderr) || `exit code ${r.exitCode}`}`;
  else if (cleanStderr(r.stderr)) res.problem = `decoder reported: ${lastLines(r.stderr)}`;
  else if (res.decodedDuration !== undefined && res.containerDuration !== undefined) {
    // the decoded end includes the last frame's duration: allow 0.1 s or 5 % for very short clips
    const tol = Math.max(0.1, res.containerDuration * 0.05);
    if (Math.abs(res.decodedDuration - res.containerDuration) > tol)
      res.problem = `decoded ${res.decodedDuration.toFixed(3)} s of a ${res.containerDuration.toFixed(3)} s video`;
  }
  res.ms = Date.now() - started;
  return res;
}

/**
 * Decode check over archive files: images through sharp, videos through ffmpeg (or with
 * `quick`, ffprobe packet counting only). HEIC/HEIF files are listed as skipped: the prebuilt
 * sharp cannot decode them.
 */
export async function checkDecode(options: {
  files: readonly { rel: string; abs: string }[];
  /** The video tools, or why they are missing: videos are then named as unchecked, images still decode. */
  video: VideoTools | { missing: string };
  quick: boolean;
  concurrency: number;
  onEvent: OnEvent;
  signal?: AbortSignal;
}): Promise<CheckResult> {
  const started = Date.now();
  const check = newCheck("decode");
  let done = 0;
  let images = 0;
  let videos = 0;
  const total = options.files.length;
  options.onEvent({ kind: "stage", stage: "decode", total });
  await forEachLimit(
    options.files,
    options.concurrency,
    async (f) => {
      try {
        const kind = await sniff(f.abs);
        if (kind === "image") {
          images++;
          try {
            await decodeImage(f.abs);
            record(check, f.rel);
          } catch (err) {
            record(check, f.rel, `image does not decode: ${reasonOf(err)}`);
          }
        } else if (kind === "video") {
          videos++;
          const v = options.video;
          if ("missing" in v) check.unchecked.push({ path: f.rel, reason: `video not checked: ${v.missing}` });
          else {
            const r = options.quick ? await probeVideo(v.ffprobe, f.abs, options.signal) : await decodeVideo(v.ffmpeg, v.ffprobe, f.abs, options.signal);
            record(check, f.rel, r.problem);
          }
        } else if (kind === "heif") check.skipped.push({ path: f.rel, reason: "HEIC/HEIF: not decoded (this sharp build has no HEIF decoder)" });
        else if (kind === "raw") check.skipped.push({ path: f.rel, reason: "camera RAW (DNG): not decoded (libvips cannot decode RAW sensor data); fixity covers its bytes" });
      } catch (err) {
        if ((err as { code?: string }).code === "E_ABORTED") throw err;
        record(check, f.rel, `cannot be checked: ${reasonOf(err)}`);
      }
      options.onEvent({ kind: "progress", stage: "decode", done: ++done, total, failed: check.failed });
    },
    options.signal,
  );
  const how = "missing" in options.video
    ? `NOT checked (${options.video.missing})`
    : options.quick ? "checked with ffprobe -count_packets only (--quick: not decoded)" : "decoded end to end with ffmpeg -xerror, decoded duration compared with the container's";
  check.notes.push(`${images} images decoded in full with sharp (failOn: warning); ${videos} videos ${how}`);
  check.durationMs = Date.now() - started;
  return check;
}
