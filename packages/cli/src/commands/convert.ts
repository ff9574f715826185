import kleur from "kleur";
import { createExifTool } from "@archive/core";
import { convertLibrary, defaultConvertJobs, needsAttention, type ConvertFilter, type ConvertResult } from "@archive/convert";
import { buildManifest, type ManifestResult } from "@archive/verify";
import { EXIT, defineCommand, type Options, type Values } from "../command.js";
import { acceptedItemPaths } from "../unresolved.js";
import { workspaceFor, type Context } from "../context.js";
import { formatBytes, formatDuration } from "../render.js";
import { checkDateRange } from "../args.js";
import { FFMPEG_OPTIONS } from "../tools.js";

/** Convert's own options; `archive run` takes them too. */
export const CONVERT_OPTIONS = {
  year: { kind: "int", value: "Y", min: 1800, max: 2200, help: "only items captured in year Y (their own local time)" },
  from: { kind: "date", help: "only items captured on or after DATE (YYYY-MM-DD)" },
  to: { kind: "date", help: "only items captured on or before DATE (YYYY-MM-DD)" },
  kind: { kind: "choice", value: "KIND", choices: ["photo", "video", "live"], help: "photo, video or live (Live Photos)" },
  album: { kind: "string", value: "NAME", help: "only items of an Apple-export album" },
  "include-deleted": { kind: "boolean", help: "also convert items an Apple export lists as deleted (Recently Deleted/)" },
  jobs: { kind: "int", short: "j", min: 1, max: 64, help: `items in flight (default: ${defaultConvertJobs()}, the cores + 1)` },
  quality: { kind: "int", value: "Q", min: 1, max: 100, help: "JPEG quality 1-100 (default 90, or the workspace's)" },
  layout: { kind: "choice", value: "L", choices: ["mirror", "date"], help: "mirror (the source's folders, default) or date (YYYY/MM/)" },
  "keep-originals": { kind: "boolean", help: "also keep byte-exact originals of converted files in originals/" },
  link: { kind: "boolean", help: "hard-link already-universal files instead of copying (same disk)" },
  "dry-run": { kind: "boolean", short: "n", help: "show what would be done; write nothing" },
  "no-hdr": { kind: "boolean", help: "write SDR JPEGs only: no ISO 21496-1 gain map from the HEIC's HDR gain map" },
  ...FFMPEG_OPTIONS,
} as const satisfies Options;

/** The item selection the convert options describe (a reversed date range is a usage error). */
export function filterOf(v: Values<typeof CONVERT_OPTIONS>): ConvertFilter {
  checkDateRange(v.from, v.to);
  const filter: ConvertFilter = {};
  if (v.year !== undefined) filter.year = v.year;
  if (v.from !== undefined) filter.from = v.from;
  if (v.to !== undefined) filter.to = v.to;
  if (v.kind !== undefined) filter.kind = v.kind;
  if (v.album !== undefined) filter.album = v.album;
  if (v["include-deleted"] === true) filter.includeDeleted = true;
  return filter;
}

const command = defineCommand({
  name: "convert",
  summary: "HEIC->JPEG, HEVC/HDR->H.264 MP4, the rest copied; metadata carried over",
  description: `
Converts the items catalogued by \`archive plan\` into <workspace>/converted/: HEIC/HEIF photos
become JPEGs (ICC profile kept, EXIF/XMP/GPS/MakerNote carried over, Orientation 1 where the
decoder rotated), HEVC and HDR videos become H.264 yuv420p MP4 (tone-mapped to SDR, QuickTime
creation date, location and Live Photo id written back), everything already universal is
copied byte-exact. Live Photo pairs, edits and sidecars always go together. Re-running
converts only what is missing or changed; an interrupted run resumes. An archived output is never
replaced unasked: a source whose content changed after it was archived (an edit, or bit rot)
keeps its old output, and the new content is archived beside it (IMG_1234~2.jpg); --redo PATH
replaces an output. A HEIF with more than one image also keeps its byte-exact original.`,
  options: {
    ...CONVERT_OPTIONS,
    redo: { kind: "list", value: "PATH", help: "re-create this archived output from its source (repeatable); the journal records the hash it replaced" },
  },
  async run(ctx, v) {
    const filter = filterOf(v);
    const { layout, quality, jobs } = v;
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
        ...(v["no-hdr"] === true ? { hdr: false } : {}),
        onEvent: ctx.onEvent,
        signal: ctx.signal,
        ...(jobs !== undefined ? { jobs } : {}),
        ...(v.redo?.length ? { redo: v.redo } : {}),
        ...(v.ffmpeg !== undefined ? { ffmpeg: v.ffmpeg } : {}),
        ...(v.ffprobe !== undefined ? { ffprobe: v.ffprobe } : {}),
      });
      // the manifest follows every real run; the converter already cached each output's hash
      let manifest: ManifestResult | null = null;
      if (v["dry-run"] !== true && !result.stoppedEarly) {
        manifest = await buildManifest({ workspace: ws.root, catalog: ws.catalog, onEvent: ctx.onEvent, signal: ctx.signal });
      }
      ctx.progress.clear();
      // unreadable sources the user accepted (--accept-unreadable) are recorded reasons, not something to look at
      const accepted = acceptedItemPaths(ws.catalog);
      const open = <T extends { path: string }>(xs: T[]) => xs.filter((x) => !accepted.has(x.path));
      const attention = needsAttention({ ...result, failed: open(result.failed), unresolved: open(result.unresolved) });
      if (ctx.opts.json) ctx.out(JSON.stringify({ ...result, manifest }, null, 2));
      else {
        printResult(ctx, result, v["dry-run"] === true, accepted);
        if (manifest) {
          ctx.out(`Manifest: ${manifest.files} files in ${manifest.manifest} (${manifest.added} new from the job journal, ${manifest.hashed} re-read, ${manifest.cached} confirmed by the hash cache)`);
          for (const f of manifest.failures) ctx.err(`Fixity FAILED ${JSON.stringify(f.path)}: ${f.reason}`);
          ctx.out(nextStep(result, attention || manifest.failures.length > 0));
        }
      }
      // 1: something to look at happened in this run or is still open (failed, fixity, pending, unresolved)
      return attention || manifest?.failures.length ? EXIT.attention : EXIT.ok;
    } finally {
      await exiftool.end();
      ws.close();
    }
  },
});

export default command;

/** What to do next: verify, unless items still wait (then what makes them convert comes first). */
export function nextStep(r: Pick<ConvertResult, "pending">, attention = false): string {
  const n = r.pending.length;
  if (n) return `Next: ${n} ${n === 1 ? "item waits" : "items wait"} (reasons above): fix that, run archive convert again, then archive verify`;
  // the same judgement as the exit code: something named above is still open
  if (attention) {
    return "Next: look at what is named above (fix it and run archive plan and archive convert again, --redo a damaged output, or accept a lost source with archive verify --accept-unreadable)";
  }
  return "Next: archive verify";
}

/** What --redo replaced: the bytes found (damaged) and the hash the journal had recorded. */
export function redoneLine(x: ConvertResult["redone"][number]): { path: string; reason: string } {
  const found = x.foundSha256 === null ? "a missing file" : `found ${x.foundSha256}`;
  return { path: x.output, reason: `replaced ${found} (recorded ${x.replacedSha256 ?? "no hash"})` };
}

/** A titled list of "path: reason" lines, the first `limit` of them. */
function section(title: string, items: readonly { path: string; reason: string }[], limit = 100, more = "--json lists all"): string[] {
  if (!items.length) return [];
  const lines = [title, ...items.slice(0, limit).map((f) => `  ${f.path}: ${f.reason}`)];
  if (items.length > limit) lines.push(`  ... ${items.length - limit} more (${more})`);
  return lines;
}

function printResult(ctx: Context, r: ConvertResult, dry: boolean, accepted: ReadonlySet<string>): void {
  const lines: string[] = [];
  if (dry) {
    lines.push(kleur.bold(`Dry run: nothing written. ${r.selected} items selected.`));
    for (const p of r.planned.slice(0, 200)) lines.push(`  ${p.action.padEnd(9)} ${p.path}${p.output ? ` -> ${p.output}` : ""}${p.reason ? ` (${p.reason})` : ""}`);
    if (r.planned.length > 200) lines.push(`  ... ${r.planned.length - 200} more (--json lists up to 1000)`);
  }
  const failed = r.failed.length + r.unresolved.length;
  lines.push(
    `${r.selected} items: ${r.converted} converted, ${r.copied} copied${r.linked ? `, ${r.linked} linked` : ""}, ${r.duplicates} duplicates, ${r.alreadyDone} already done, ${r.skipped.length} skipped, ${failed ? kleur.red(`${failed} failed`) : "0 failed"}${r.pending.length ? kleur.yellow(`, ${r.pending.length} pending`) : ""}`,
  );
  if (!dry) lines.push(`${formatBytes(r.bytesIn)} in, ${formatBytes(r.bytesOut)} out, in ${formatDuration(r.durationMs / 1000)}${r.ffmpeg ? `; ffmpeg: ${r.ffmpeg}` : ""}`);
  if (r.warnings.length) {
    lines.push(kleur.yellow(`Warnings (${r.warnings.length}):`));
    for (const w of r.warnings.slice(0, 30)) lines.push(`  ${w.path}: ${w.message}`);
  }
  const mark = (x: { path: string; reason: string }) => (accepted.has(x.path) ? { path: x.path, reason: `${x.reason} (accepted as not archived)` } : x);
  lines.push(...section(kleur.red(`Failed (${r.failed.length}):`), r.failed.map(mark)));
  // walk problems and sources that failed before: not archived, and still open (or accepted)
  lines.push(...section(kleur.red(`Not archived, unresolved (${r.unresolved.length}):`), r.unresolved.map(mark)));
  lines.push(...section(kleur.red(`Fixity FAILED: archived files changed since convert wrote them (${r.fixity.length}); re-create one with --redo PATH:`), r.fixity));
  lines.push(...section(kleur.yellow(`Pending, not converted (${r.pending.length}):`), r.pending));
  lines.push(...section(kleur.yellow(`Named after their content, not their extension (${r.renamed.length}):`), r.renamed.map((x) => ({ path: x.path, reason: `${x.reason} -> ${x.output}` }))));
  lines.push(...section(kleur.yellow(`Changed since archived (${r.changed.length}): the archived output is kept, the new content archived beside it:`), r.changed.map((x) => ({ path: x.path, reason: `kept ${x.kept}${x.output ? `, new content -> ${x.output}` : ""}` }))));
  lines.push(...section(`Originals kept: the conversion cannot hold everything (${r.originalsKept.length}):`, r.originalsKept.map((x) => ({ path: x.path, reason: `${x.reason} -> ${x.original}` }))));
  lines.push(...section(`Re-created with --redo (${r.redone.length}):`, r.redone.map(redoneLine)));
  const organised = `${dry ? "Would update" : "Updated"} the organisation (favorite, hidden, albums) from the newest export in ${r.organised.length} archived ${r.organised.length === 1 ? "file" : "files"}${dry ? "" : "; a backup copy made before needs them again"}:`;
  lines.push(...section(organised, r.organised.map((x) => ({ path: x.path, reason: `now ${x.now}` }))));
  if (r.stoppedEarly) lines.push("Stopped early: run the same command again to resume.");
  ctx.out(lines.join("\n"));
}
