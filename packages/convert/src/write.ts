import { constants as fsc } from "node:fs";
import { copyFile, link, stat } from "node:fs/promises";
import { posix } from "node:path";
import {
  hasOrganisation,
  insideWorkspace,
  organisationKey,
  outputOrganisation,
  setMtime,
  writeAtomically,
  writeOrganisationSidecar,
  type ConvertItemRow,
  type ItemOrganisationXmp,
} from "@archive/core";
import { sourceOf, type RunContext } from "./context.js";
import { outputDir } from "./layout.js";
import { convertHeif } from "./photo.js";
import type { Action } from "./types.js";
import { convertVideo } from "./video.js";

/** What the write step produced: the output in place, its hash, and what the journal records. */
export interface Written {
  action: Exclude<Action, "duplicate">;
  size: number;
  sha256: string;
  params: Record<string, unknown>;
  warnings: string[];
  seconds: number;
  /** The byte-exact original kept although --keep-originals was not given, and why. */
  originalKept?: { rel: string; reason: string };
  /** Why the original must be kept whatever --keep-originals says (the output cannot hold all of the source). */
  mustKeepOriginal?: string;
  /** A video's encode time and source duration (for the calibration). */
  encode?: { seconds: number; duration: number };
  /** The organisation written into the output (or its sidecar), null for none. */
  organisation: ItemOrganisationXmp | null;
}

/** One item's output bytes into `tmp`; returns the action actually used (a link may fall back to a copy). */
async function produce(ctx: RunContext, it: ConvertItemRow, action: Written["action"], tmp: string, w: Written): Promise<Written["action"]> {
  const src = sourceOf(it);
  if (action === "convert" && it.kind === "video") await produceVideo(ctx, it, src, tmp, w);
  else if (action === "convert") await producePhoto(ctx, it, src, tmp, w);
  else if (action === "link") {
    try {
      await link(src, tmp);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "EXDEV" && code !== "EPERM") throw err;
      w.warnings.push(`cannot hard-link across file systems (${code}); copied instead`);
      action = "copy";
      await copyFile(src, tmp, fsc.COPYFILE_FICLONE);
    }
  } else await copyFile(src, tmp, fsc.COPYFILE_FICLONE);
  // a hard link shares the source's inode: never touch its times
  if (action !== "link" && it.capture_utc_ms !== null) await setMtime(tmp, it.capture_utc_ms);
  return action;
}

async function produceVideo(ctx: RunContext, it: ConvertItemRow, src: string, tmp: string, w: Written): Promise<void> {
  const organisation = w.organisation;
  const v = await convertVideo(ctx.video!, ctx.exiftool, src, tmp, ctx.signal, organisation);
  if (organisation) w.params.organisationXmp = true;
  w.warnings.push(...v.warnings);
  Object.assign(w.params, { codec: "h264", crf: 20, preset: "veryfast", hdrToneMapped: v.hdr });
  if (it.width && it.height && (v.width !== it.width || v.height !== it.height)) {
    w.warnings.push(`displayed size ${v.width}x${v.height} differs from the source's ${it.width}x${it.height}`);
  }
  w.encode = { seconds: v.encodeSeconds, duration: v.sourceDuration };
}

/**
 * The export's organisation for an item's output (favorite, hidden, albums, the CSV date: the
 * newest export holding its content decides, see catalog/organisation.ts), or null when it has none.
 */
export function organisationOf(ctx: RunContext, it: ConvertItemRow): ItemOrganisationXmp | null {
  const org = outputOrganisation(ctx.catalog, it.id);
  return org && hasOrganisation(org) ? org : null;
}

async function producePhoto(ctx: RunContext, it: ConvertItemRow, src: string, tmp: string, w: Written): Promise<void> {
  const organisation = w.organisation;
  const p = await convertHeif(ctx.heif!, src, tmp, { quality: ctx.quality, hdr: ctx.hdr, organisation });
  if (organisation) w.params.organisationXmp = true;
  w.warnings.push(...p.warnings);
  Object.assign(w.params, { quality: ctx.quality, icc: p.icc, gainMap: p.gainMap, decoder: p.decoder });
  // a spatial photo's second eye (or any further top-level image) is not in the JPEG: nothing may be lost
  if (p.images > 1) w.mustKeepOriginal = `${p.images} images in the file, the JPEG holds the primary one: the byte-exact original is kept`;
  if (it.width && it.height && (p.displayWidth !== it.width || p.displayHeight !== it.height)) {
    throw new Error(`displayed size ${p.displayWidth}x${p.displayHeight} differs from the source's ${it.width}x${it.height}`);
  }
}

/** With --keep-originals: the byte-exact source beside the conversion, under originals/. */
async function keepOriginal(ctx: RunContext, it: ConvertItemRow, outStem: string, srcExt: string, prefix: string): Promise<string> {
  const rel = posix.join(outputDir("originals", ctx.layout, it, prefix), `${outStem}${srcExt}`);
  await writeAtomically(insideWorkspace(ctx.root, rel), async (tmp) => {
    await copyFile(sourceOf(it), tmp, fsc.COPYFILE_FICLONE);
    if (it.capture_utc_ms !== null) await setMtime(tmp, it.capture_utc_ms);
  });
  return rel;
}

/**
 * Write one output: produced under a temporary name and renamed into place, then hashed once
 * (that hash goes into the journal, the hash cache and, through the journal, the manifest).
 */
export async function writeOutput(
  ctx: RunContext,
  it: ConvertItemRow,
  action: Written["action"],
  out: { rel: string; stem: string; srcExt: string; prefix: string },
): Promise<Written> {
  const organisation = organisationOf(ctx, it);
  const w: Written = { action, size: 0, sha256: "", params: { layout: ctx.layout, organisation: organisationKey(organisation) }, warnings: [], seconds: 0, organisation };
  const finalAbs = insideWorkspace(ctx.root, out.rel);
  const t0 = Date.now();
  w.action = await writeAtomically(finalAbs, (tmp) => produce(ctx, it, action, tmp, w));
  w.seconds = (Date.now() - t0) / 1000;
  const st = await stat(finalAbs);
  w.size = st.size;
  w.sha256 = (await ctx.hashes.hash(finalAbs)).sha256;
  ctx.cache.store(out.rel, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino }, w.sha256);
  if (action === "convert" && (ctx.keepOriginals || w.mustKeepOriginal)) await keepOriginalOf(ctx, it, out, w);
  if (w.action !== "convert") await sidecarOf(ctx, it, out.rel, w);
  if (w.warnings.length) w.params.warnings = w.warnings;
  return w;
}

/** Keep the byte-exact original and record it with the hash of the bytes written (the manifest's line). */
async function keepOriginalOf(ctx: RunContext, it: ConvertItemRow, out: { stem: string; srcExt: string; prefix: string }, w: Written): Promise<void> {
  const rel = await keepOriginal(ctx, it, out.stem, out.srcExt, out.prefix);
  const abs = insideWorkspace(ctx.root, rel);
  const st = await stat(abs);
  const sha = (await ctx.hashes.hash(abs)).sha256;
  ctx.cache.store(rel, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino }, sha);
  Object.assign(w.params, { original: rel, originalSha256: sha, originalSize: st.size });
  if (!ctx.keepOriginals && w.mustKeepOriginal) {
    w.params.originalKept = w.mustKeepOriginal;
    w.originalKept = { rel, reason: w.mustKeepOriginal };
  }
}

/**
 * A byte-exact copy (or link) is never modified: the item's organisation goes into `NAME.EXT.xmp`
 * beside it, recorded in the job (`params.sidecar`, `params.sidecarSha256`) so the manifest lists it.
 */
async function sidecarOf(ctx: RunContext, it: ConvertItemRow, rel: string, w: Written): Promise<void> {
  const org = w.organisation;
  if (!org) return;
  const abs = await writeOrganisationSidecar(insideWorkspace(ctx.root, rel), org);
  const st = await stat(abs);
  const sha = (await ctx.hashes.hash(abs)).sha256;
  ctx.cache.store(`${rel}.xmp`, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino }, sha);
  Object.assign(w.params, { sidecar: `${rel}.xmp`, sidecarSha256: sha });
}
