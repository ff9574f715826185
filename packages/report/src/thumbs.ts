import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp, { type Sharp } from "sharp";
import { decodePrimary, execTool, insideWorkspace, reasonOf, resolveTool, writeAtomically } from "@archive/core";
import type { SampleItem } from "@archive/core";
import { iccDescription } from "./icc.js";

/** Long side of every thumbnail, in pixels. */
export const THUMB_SIZE = 320;

/** A thumbnail on disk (relative to the report folder), or why there is none. */
export type Thumb = { file: string; width: number; height: number; icc: string | null } | { error: string };

export interface ThumbPair {
  source: Thumb;
  output: Thumb;
}

const short = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 12);

/**
 * Cache names change when the file they show changes (size, mtime, output hash), so a
 * re-converted item gets a fresh thumbnail and an unchanged one is never redone.
 */
export function thumbNames(it: SampleItem): { source: string; output: string } {
  return {
    // "o2": source thumbnails made before EXIF orientation was applied to HEIF sources are stale
    source: `thumbs/${it.id}-s-${short(`o2\0${it.relPath}\0${it.size}\0${it.mtimeMs}`)}.jpg`,
    output: `thumbs/${it.id}-o-${short(`${it.outputRel}\0${it.outputSize ?? ""}\0${it.outputSha256 ?? ""}`)}.jpg`,
  };
}

/** Item ids with both thumbnails in the cache folder (by file name; `cachedIds` checks they are current). */
export function cachedThumbIds(reportDir: string): Set<number> {
  const seen = new Map<number, number>();
  let names: string[] = [];
  try {
    names = readdirSync(join(reportDir, "thumbs"));
  } catch {
    return new Set();
  }
  for (const name of names) {
    const m = /^(\d+)-([so])-[0-9a-f]{12}\.jpg$/.exec(name);
    if (m) seen.set(Number(m[1]), (seen.get(Number(m[1])) ?? 0) | (m[2] === "s" ? 1 : 2));
  }
  return new Set([...seen].filter(([, bits]) => bits === 3).map(([id]) => id));
}

/** Item ids whose thumbnails (both, for the current files) are already cached. */
export function cachedIds(reportDir: string, items: Iterable<SampleItem>): Set<number> {
  const out = new Set<number>();
  for (const it of items) {
    const n = thumbNames(it);
    if (existsSync(join(reportDir, n.source)) && existsSync(join(reportDir, n.output))) out.add(it.id);
  }
  return out;
}

/** Insert an ICC profile as APP2 segments right after SOI, so a browser shows the pixels in their own colour space. */
export function withIcc(jpeg: Buffer, icc: Buffer | null): Buffer {
  if (!icc || icc.length === 0 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return jpeg;
  const max = 65519 - 16;
  const chunks = Math.ceil(icc.length / max);
  if (chunks > 255) return jpeg;
  const segs: Buffer[] = [jpeg.subarray(0, 2)];
  for (let i = 0; i < chunks; i++) {
    const part = icc.subarray(i * max, (i + 1) * max);
    const head = Buffer.alloc(18);
    head[0] = 0xff;
    head[1] = 0xe2;
    head.writeUInt16BE(2 + 14 + part.length, 2);
    head.write("ICC_PROFILE\0", 4, "latin1");
    head[16] = i + 1;
    head[17] = chunks;
    segs.push(head, part);
  }
  segs.push(jpeg.subarray(2));
  return Buffer.concat(segs);
}

function resized(img: Sharp): Sharp {
  return img.resize(THUMB_SIZE, THUMB_SIZE, { fit: "inside", withoutEnlargement: true }).jpeg({ quality: 80, mozjpeg: false });
}

/**
 * A thumbnail's size and the name of its ICC profile: each thumbnail carries its file's own
 * profile (HEIF: the decoder's; others: kept by sharp), so this names the source's and the
 * output's profile, cached thumbnails included.
 */
async function thumbInfo(file: string): Promise<{ width: number; height: number; icc: string | null }> {
  const m = await sharp(file).metadata();
  return { width: m.width ?? 0, height: m.height ?? 0, icc: iccDescription(m.icc) };
}

/**
 * The EXIF orientation still to apply to decoded HEIF pixels. The HEIF rule: when the file has its
 * own transforms (irot/imir, applied by our decoder) they win and EXIF Orientation is only a note;
 * without them, viewers (and `convert`, which keeps the tag in the JPEG) follow EXIF Orientation.
 */
export function displayOrientation(exifOrientation: number | null, decoderTransformed: boolean): number {
  const o = exifOrientation ?? 1;
  return decoderTransformed || !Number.isInteger(o) || o < 1 || o > 8 ? 1 : o;
}

/** Apply an EXIF orientation (1-8) to pixels. sharp mirrors (flop) before it rotates, whatever the call order. */
export function oriented(img: Sharp, orientation: number): Sharp {
  // 5 (transpose) = mirror, then 270 clockwise; 7 (transverse) = mirror, then 90 clockwise
  const rotate = ({ 3: 180, 4: 180, 5: 270, 6: 90, 7: 90, 8: 270 } as Record<number, number>)[orientation];
  const mirror = orientation === 2 || orientation === 4 || orientation === 5 || orientation === 7;
  return (rotate ? img.rotate(rotate) : img).flop(mirror);
}

/**
 * A still of any photo we archive, as the user will see it upright: HEIC/HEIF through our own
 * decoder (irot/imir applied, else the EXIF orientation; its ICC profile attached), everything
 * else through sharp (EXIF orientation applied, ICC profile kept as is).
 */
async function photoThumb(src: string, heif: boolean, exifOrientation: number | null, out: string): Promise<void> {
  if (heif) {
    const d = await decodePrimary(await readFile(src));
    const o = displayOrientation(exifOrientation, (d.irot ?? 0) !== 0 || d.imir !== null);
    // rotate before resizing: sharp resizes first otherwise, and `inside` would fit the wrong sides
    const upright = await oriented(sharp(d.data, { raw: { width: d.width, height: d.height, channels: d.channels } }), o).raw().toBuffer({ resolveWithObject: true });
    const { width, height, channels } = upright.info;
    const jpeg = await resized(sharp(upright.data, { raw: { width, height, channels } })).toBuffer();
    await writeAtomically(out, (tmp) => writeFile(tmp, withIcc(jpeg, d.icc)));
    return;
  }
  await writeAtomically(out, async (tmp) => {
    await resized(sharp(src, { failOn: "error" }).autoOrient().keepIccProfile()).toFile(tmp);
  });
}

/** The first frame of a video (ffmpeg applies the display rotation), scaled to the thumbnail size. */
async function posterThumb(ffmpeg: string, src: string, out: string): Promise<void> {
  await writeAtomically(out, async (tmp) => {
    await execTool(
      ffmpeg,
      ["-v", "error", "-nostdin", "-y", "-ss", "0", "-i", src, "-frames:v", "1",
        "-vf", `scale=${THUMB_SIZE}:${THUMB_SIZE}:force_original_aspect_ratio=decrease`, "-q:v", "4", "-f", "image2", tmp],
      { timeoutMs: 60_000 },
    );
  });
}

export interface ThumbOptions {
  /** The workspace root. */
  root: string;
  /** <root>/report. */
  reportDir: string;
  ffmpeg?: string;
  signal?: AbortSignal;
  onThumb?: (done: number, total: number) => void;
}

/** Make (or reuse) the source and output thumbnails of each sampled item; never throws for one item. */
export async function makeThumbs(items: readonly SampleItem[], options: ThumbOptions): Promise<{ pairs: Map<number, ThumbPair>; generated: number; cached: number }> {
  const pairs = new Map<number, ThumbPair>();
  let ffmpeg: string | null | undefined;
  let ffmpegError = "";
  let generated = 0;
  let cached = 0;
  const one = async (rel: string, make: (abs: string) => Promise<void>): Promise<Thumb> => {
    const abs = join(options.reportDir, rel);
    try {
      if (existsSync(abs)) cached++;
      else {
        await make(abs);
        generated++;
      }
      return { file: rel, ...(await thumbInfo(abs)) };
    } catch (err) {
      return { error: reasonOf(err).split("\n")[0]!.slice(0, 300) };
    }
  };
  let done = 0;
  for (const it of items) {
    if (options.signal?.aborted) break;
    const names = thumbNames(it);
    const src = join(it.sourceRoot, it.relPath);
    const outAbs = insideWorkspace(options.root, it.outputRel);
    let pair: ThumbPair;
    if (it.kind === "video") {
      if (ffmpeg === undefined) {
        try {
          ffmpeg = resolveTool("ffmpeg", options.ffmpeg).path;
        } catch (err) {
          ffmpeg = null;
          ffmpegError = reasonOf(err);
        }
      }
      const ff = ffmpeg;
      const poster = (file: string) => async (abs: string) => {
        if (!ff) throw new Error(ffmpegError);
        await posterThumb(ff, file, abs);
      };
      pair = { source: await one(names.source, poster(src)), output: await one(names.output, poster(outAbs)) };
    } else {
      const heif = it.format === "heic" || it.format === "heif" || it.format === "avif";
      pair = {
        source: await one(names.source, (abs) => photoThumb(src, heif, it.orientation, abs)),
        output: await one(names.output, (abs) => photoThumb(outAbs, /\.(heic|heif|avif)$/i.test(it.outputRel), it.orientation, abs)),
      };
    }
    pairs.set(it.id, pair);
    options.onThumb?.(++done, items.length);
  }
  return { pairs, generated, cached };
}
