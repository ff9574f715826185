import { availableParallelism } from "node:os";
import kleur from "kleur";
import { ArchiveError, createExifTool } from "@archive/core";
import { convertLibrary, type ConvertFilter, type ConvertResult } from "@archive/convert";
import { buildManifest, type ManifestResult } from "@archive/verify";
import type { Command } from "../index.js";
import { workspaceFor, type Context } from "../context.js";
import { formatBytes, formatDuration } from "../render.js";
import { parseIntOption } from "../args.js";

const DATE = /^\d{4}-\d{2}-\d{2}$/;

const command: Command = {
  summary: "convert HEIC->JPEG and HEVC/HDR->H.264 MP4, copy the rest, metadata carried over",
  usage: "archive convert [--year Y | --from DATE --to DATE] [--kind photo|video|live] [--album NAME] [--jobs N] [--quality Q] [--layout mirror|date] [--keep-originals] [--link] [--dry-run]",
  help: `
Converts the items catalogued by \`archive plan\` into <workspace>/converted/: HEIC/HEIF photos
become JPEGs (ICC profile kept, EXIF/XMP/GPS/MakerNote carried over, Orientation 1 where the
decoder rotated), HEVC and HDR videos become H.264 yuv420p MP4 (tone-mapped to SDR, QuickTime
creation date, location and Live Photo id written back), everything already universal is
copied byte-exact. Live Photo pairs, edits and sidecars always go together. Re-running
converts only what is missing or changed; an interrupted run resumes.

Options:
  --year Y            only items captured in year Y (their own local time)
  --from DATE         only items captured on or after DATE (YYYY-MM-DD)
  --to DATE           only items captured on or before DATE (YYYY-MM-DD)
  --kind KIND         photo, video or live (Live Photos)
  --album NAME        only items of an Apple-export album
  --jobs N            items in flight (default: ${availableParallelism()}, the cores)
  --quality Q         JPEG quality 1-100 (default 90, or the workspace's)
  --layout L          mirror (the source's folders, default) or date (YYYY/MM/)
  --keep-originals    also keep byte-exact originals of converted files in originals/
  --link              hard-link already-universal files instead of copying (same disk)
  --dry-run           show what would be done; write nothing
  --ffmpeg PATH       use this ffmpeg (default: system ffmpeg, else the npm build)`,
  options: {
    year: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    kind: { type: "string" },
    album: { type: "string" },
    jobs: { type: "string", short: "j" },
    quality: { type: "string" },
    layout: { type: "string" },
    "keep-originals": { type: "boolean" },
    link: { type: "boolean" },
    "dry-run": { type: "boolean", short: "n" },
    ffmpeg: { type: "string" },
    ffprobe: { type: "string" },
  },
  async run(ctx, v) {
    const filter: ConvertFilter = {};
    const year = parseIntOption(v.year, "--year", 1800, 2200);
    if (year !== undefined) filter.year = year;
    for (const k of ["from", "to"] as const) {
      if (v[k] === undefined) continue;
      if (!DATE.test(String(v[k]))) throw new ArchiveError("E_USAGE", `--${k}: expected YYYY-MM-DD, got "${String(v[k])}"`);
      filter[k] = String(v[k]);
    }
    if (v.kind !== undefined) {
      if (!["photo", "video", "live"].includes(String(v.kind))) throw new ArchiveError("E_USAGE", `--kind: expected photo, video or live`);
      filter.kind = String(v.kind) as ConvertFilter["kind"] & string;
    }
    if (v.album !== undefined) filter.album = String(v.album);
    const layout = v.layout === undefined ? undefined : String(v.layout);
    if (layout !== undefined && layout !== "mirror" && layout !== "date") throw new ArchiveError("E_USAGE", "--layout: expected mirror or date");
    const quality = parseIntOption(v.quality, "--quality", 1, 100);
    const jobs = parseIntOption(v.jobs, "--jobs", 1, 64);
    const ws = workspaceFor(ctx);
    const exiftool = createExifTool();
    try {
      if (layout) ws.config.layout = layout;
      if (quality !== undefined) ws.config.quality = quality;
      if (v["keep-originals"] === true) ws.config.keepOriginals = true;
      if (v["dry-run"] !== true) ws.saveConfig();
      const result = await convertLibrary({
        root: ws.root,
        catalog: ws.catalog,
        exiftool,
        filter,
        quality: ws.config.quality,
        layout: ws.config.layout,
        keepOriginals: ws.config.keepOriginals,
        link: v.link === true,
        dryRun: v["dry-run"] === true,
        onEvent: ctx.onEvent,
        signal: ctx.signal,
        ...(jobs !== undefined ? { jobs } : {}),
        ...(typeof v.ffmpeg === "string" ? { ffmpeg: v.ffmpeg } : {}),
        ...(typeof v.ffprobe === "string" ? { ffprobe: v.ffprobe } : {}),
      });
      // the manifest follows every real run; the converter already cached each output's hash
      let manifest: ManifestResult | null = null;
      if (v["dry-run"] !== true && !result.stoppedEarly) {
        manifest = await buildManifest({ workspace: ws.root, catalog: ws.catalog, onEvent: ctx.onEvent, signal: ctx.signal });
      }
      ctx.progress.clear();
      if (ctx.opts.json) ctx.out(JSON.stringify({ ...result, manifest }, null, 2));
      else {
        printResult(ctx, result, v["dry-run"] === true);
        if (manifest) {
          ctx.out(`Manifest: ${manifest.files} files in ${manifest.manifest} (${manifest.added} new from the job journal, ${manifest.hashed} re-read, ${manifest.cached} confirmed by the hash cache)`);
          for (const f of manifest.failures) ctx.err(`Fixity FAILED ${JSON.stringify(f.path)}: ${f.reason}`);
          ctx.out("Next: archive verify");
        }
      }
      return result.failed.length || manifest?.failures.length ? 1 : 0;
    } finally {
      await exiftool.end();
      ws.close();
    }
  },
};

export default command;

function printResult(ctx: Context, r: ConvertResult, dry: boolean): void {
  const lines: string[] = [];
  if (dry) {
    lines.push(kleur.bold(`Dry run: nothing written. ${r.selected} items selected.`));
    for (const p of r.planned.slice(0, 200)) lines.push(`  ${p.action.padEnd(9)} ${p.path}${p.output ? ` -> ${p.output}` : ""}${p.reason ? ` (${p.reason})` : ""}`);
    if (r.planned.length > 200) lines.push(`  ... ${r.planned.length - 200} more (--json lists up to 1000)`);
  }
  lines.push(
    `${r.selected} items: ${r.converted} converted, ${r.copied} copied${r.linked ? `, ${r.linked} linked` : ""}, ${r.duplicates} duplicates, ${r.alreadyDone} already done, ${r.skipped.length} skipped, ${r.failed.length ? kleur.red(`${r.failed.length} failed`) : "0 failed"}`,
  );
  if (!dry) lines.push(`${formatBytes(r.bytesIn)} in, ${formatBytes(r.bytesOut)} out, in ${formatDuration(r.durationMs / 1000)}${r.ffmpeg ? `; ffmpeg: ${r.ffmpeg}` : ""}`);
  if (r.warnings.length) {
    lines.push(kleur.yellow(`Warnings (${r.warnings.length}):`));
    for (const w of r.warnings.slice(0, 30)) lines.push(`  ${w.path}: ${w.message}`);
  }
  if (r.failed.length) {
    lines.push(kleur.red(`Failed (${r.failed.length}):`));
    for (const f of r.failed.slice(0, 100)) lines.push(`  ${f.path}: ${f.reason}`);
    if (r.failed.length > 100) lines.push(`  ... ${r.failed.length - 100} more (--json lists all)`);
  }
  if (r.stoppedEarly) lines.push("Stopped early: run the same command again to resume.");
  ctx.out(lines.join("\n"));
}
