import { existsSync, realpathSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import kleur from "kleur";
import { ArchiveError, createExifTool, isInside, startRun, finishRun } from "@archive/core";
import { newContentCount, type NewContent } from "@archive/dedupe";
import { hashPossiblyArchived, scanLibrary, summarisePlan, type Calibration, type PlanSummary, type ScanResult } from "@archive/scan";
import { defineCommand, type Options } from "../command.js";
import { workspaceFor, type Context } from "../context.js";
import { bar, formatBytes, formatDuration } from "../render.js";

/** Plan's own options; `archive run` takes them too. */
export const PLAN_OPTIONS = {
  "batch-size": { kind: "size", value: "SIZE", help: "largest batch (estimated output), e.g. 50GB; default: the free space" },
  "keep-originals": { kind: "boolean", help: "plan for keeping originals beside converted copies" },
} as const satisfies Options;

const command = defineCommand({
  name: "plan",
  summary: "scan a library into the workspace: counts, years, sizes, estimate, batches",
  description: `
Scans SOURCE (an iCloud Photos export folder; read, never written) into the catalog of the
workspace DEST (default: the current folder, created if new) and prints what you have:
files and bytes by year and kind, Live Photos, bursts, edits, what needs converting, files
whose capture time is only a guess, unreadable files with reasons, an estimate of output size
and time, free space, and batches by year. Re-running re-reads only changed files.
Without SOURCE, re-scans the sources recorded in the workspace.`,
  args: { name: "SOURCE" },
  options: PLAN_OPTIONS,
  async run(ctx, values, positionals) {
    const batchSize = values["batch-size"];
    const given = positionals.map((p) => resolve(ctx.opts.cwd, p));
    for (const src of given) {
      // a folder, or a zip file (an Apple export part, read in place; scan checks its content)
      if (!existsSync(src) || !(statSync(src).isDirectory() || (statSync(src).isFile() && /\.zip$/i.test(src)))) {
        throw new ArchiveError("E_SOURCE_MISSING", `the library folder ${src} does not exist or is not a folder or a zip file`);
      }
    }
    // every refusal (destination inside a library, nested, not empty) before the first write
    const ws = workspaceFor(ctx, { create: true, sources: given });
    const exiftool = createExifTool();
    try {
      const sources = given.length ? given : ws.config.sources;
      if (!sources.length) throw new ArchiveError("E_USAGE", "no SOURCE given and none recorded in this workspace: archive plan SOURCE");
      for (const src of sources) {
        if (!existsSync(src)) throw new ArchiveError("E_SOURCE_MISSING", `the library folder ${src} does not exist`);
        if (isInside(realpathSync(src), realpathSync(ws.root))) {
          throw new ArchiveError(
            "E_DEST_INSIDE_SOURCE",
            `the workspace ${ws.root} is inside the library ${src}; the library is never written to, so choose a destination outside it (-C DEST)`,
          );
        }
      }
      const scans: ScanResult[] = [];
      for (const src of sources) {
        scans.push(await scanLibrary({ source: src, catalog: ws.catalog, exiftool, onEvent: ctx.onEvent, signal: ctx.signal, tmpDir: join(ws.dir, "tmp") }));
        if (!ws.config.sources.includes(resolve(src))) ws.config.sources.push(resolve(src));
      }
      if (values["keep-originals"] === true) ws.config.keepOriginals = true;
      ws.saveConfig();
      ctx.progress.clear();
      // the latest convert run that measured something (a run with nothing to do measures nothing)
      const calibrationRow = ws.catalog.db
        .prepare("SELECT json_extract(summary, '$.calibration') AS c FROM runs WHERE command = 'convert' AND json_extract(summary, '$.calibration') IS NOT NULL ORDER BY id DESC LIMIT 1")
        .get() as { c: string } | undefined;
      const calibration = calibrationRow ? (JSON.parse(calibrationRow.c) as Calibration) : null;
      // a newer export planned into a workspace that already holds an archive: what is new?
      await hashPossiblyArchived(ws.catalog, { onEvent: ctx.onEvent, signal: ctx.signal });
      const counted = newContentCount(ws.catalog);
      const newContent: NewContent | null = counted.archived + counted.alreadyArchivedContent > 0 ? counted : null;
      const summary = await summarisePlan(ws.catalog, {
        workspace: ws.root,
        sources: ws.config.sources,
        cores: cpus().length,
        calibration,
        keepOriginals: ws.config.keepOriginals,
        ...(batchSize !== undefined ? { batchSize } : {}),
      });
      const scan = {
        read: scans.reduce((n, s) => n + s.read, 0),
        unchanged: scans.reduce((n, s) => n + s.unchanged, 0),
        missing: scans.reduce((n, s) => n + s.missing, 0),
        skipped: scans.flatMap((s) => s.skipped),
        csvProblems: scans.flatMap((s) => s.csvProblems),
        durationMs: scans.reduce((n, s) => n + s.durationMs, 0),
      };
      // unreadable entries the catalog cannot hold (dangling links, loops) come from the walk
      const known = new Set(summary.unreadable.map((x) => x.path));
      const walkProblems = scans.flatMap((s) => s.unreadable).filter((u) => !known.has(u.path));
      summary.unreadable.push(...walkProblems);
      const run = startRun(ws.catalog, "plan");
      finishRun(ws.catalog, run, "plan", "ok", { ...summary, scan, newContent });
      if (ctx.opts.json) ctx.out(JSON.stringify({ ...summary, scan, newContent }, null, 2));
      else printPlan(ctx, summary, scan, newContent);
      return 0;
    } finally {
      await exiftool.end();
      ws.close();
    }
  },
});

export default command;

function printPlan(
  ctx: Context,
  s: PlanSummary,
  scan: { read: number; unchanged: number; missing: number; skipped: { path: string; reason: string }[]; csvProblems: { path: string; reason: string }[]; durationMs: number },
  newContent: NewContent | null,
): void {
  const b = kleur.bold;
  const lines: string[] = [];
  lines.push(b(`Library: ${s.sources.join(", ")}`));
  lines.push(
    `${s.totals.files} files, ${formatBytes(s.totals.bytes)}  (scanned in ${formatDuration(scan.durationMs / 1000)}: ${scan.read} read, ${scan.unchanged} unchanged${scan.missing ? `, ${scan.missing} gone from the source` : ""})`,
  );
  lines.push("");
  lines.push(b("By year"));
  const years = Object.entries(s.byYear);
  const max = Math.max(...years.map(([, y]) => y.bytes), 1);
  for (const [year, y] of years) {
    lines.push(
      `  ${year.padEnd(7)} ${String(y.files).padStart(6)} files ${formatBytes(y.bytes).padStart(8)}  ${kleur.cyan(bar(y.bytes, max, 30))}`,
    );
  }
  lines.push("");
  lines.push(b("By kind"));
  const kinds: [keyof PlanSummary["byKind"], string][] = [
    ["photo", "photos"], ["livePhoto", "Live Photo files"], ["video", "videos"], ["raw", "RAW"], ["sidecar", "sidecars (AAE)"], ["other", "other"],
  ];
  for (const [k, label] of kinds) {
    const c = s.byKind[k];
    if (c.files) lines.push(`  ${label.padEnd(18)} ${String(c.files).padStart(6)}  ${formatBytes(c.bytes).padStart(8)}`);
  }
  lines.push(
    `  Live Photo pairs ${s.livePhotoPairs}, bursts ${s.bursts.groups} (${s.bursts.frames} frames), edit sets ${s.edits.sets} (${s.edits.edited} edited, ${s.edits.sidecars} sidecars, ${s.edits.orphanSidecars} orphan sidecars)`,
  );
  if (s.albums.length) lines.push(`  Albums: ${s.albums.map((a) => `${a.name} (${a.files})`).join(", ")}`);
  for (const p of s.export?.parts ?? []) lines.push(`  Apple export part "${p.label}": ${p.files} files, ${p.csvNamed} named by its CSV, ${p.deleted} deleted, ${p.favorites} favorites, ${p.hidden} hidden`);
  if (s.export?.rowsWithoutFileCount) lines.push(`  CSV rows naming no file: ${s.export.rowsWithoutFileCount} (${s.export.rowsWithoutFile.slice(0, 5).map((o) => o.name).join(", ")}${s.export.rowsWithoutFileCount > 5 ? ", ..." : ""}; --json lists them)`);
  if (s.export?.filesWithoutRowCount) lines.push(`  Photos/videos no Photo Details row names: ${s.export.filesWithoutRowCount} (--json lists them)`);
  lines.push("");
  lines.push(b("To convert"));
  lines.push(
    `  ${s.needsConversion.files} files, ${formatBytes(s.needsConversion.bytes)}: ${s.needsConversion.photos} HEIC/HEIF photos, ${s.needsConversion.videos} videos${s.needsConversion.hdrVideos ? ` (${s.needsConversion.hdrVideos} HDR, tone-mapped)` : ""}`,
  );
  lines.push(
    `  Estimate: ${formatBytes(s.estimate.outputBytes)} of output, about ${formatDuration(s.estimate.seconds)} on ${s.estimate.cores} cores (${s.estimate.basis === "calibrated" ? `calibrated by the convert run of ${s.estimate.calibratedAt}` : "model, not yet calibrated on this machine"})`,
  );
  if (s.destination.freeBytes !== null) {
    const fit = s.destination.fits ? kleur.green("fits") : kleur.red("does NOT fit");
    lines.push(`  Destination ${s.destination.path}: ${formatBytes(s.destination.freeBytes)} free, ${fit}`);
  }
  if (newContent) {
    lines.push(
      `  Already archived: ${newContent.archived} files; ${newContent.alreadyArchivedContent} more have the same content as archived files (not converted again). New: ${newContent.newFiles} files, ${formatBytes(newContent.newBytes)}`,
    );
  }
  if (s.duplicates.groups) lines.push(`  Exact duplicates: ${s.duplicates.files} files, ${formatBytes(s.duplicates.bytes)} in ${s.duplicates.groups} groups`);
  if (s.weakCaptureTime.files) {
    lines.push("");
    lines.push(b(kleur.yellow(`Capture time is only a guess for ${s.weakCaptureTime.files} files`)) + ` (${Object.entries(s.weakCaptureTime.bySource).map(([k, n]) => `${n} from the ${k === "mtime" ? "file date" : "file name"}`).join(", ")})`);
    for (const p of s.weakCaptureTime.examples.slice(0, 5)) lines.push(`  ${p}`);
  }
  if (s.unreadable.length) {
    lines.push("");
    lines.push(b(kleur.red(`Unreadable: ${s.unreadable.length} files`)));
    for (const u of s.unreadable.slice(0, 50)) lines.push(`  ${u.path}: ${u.reason}`);
    if (s.unreadable.length > 50) lines.push(`  ... and ${s.unreadable.length - 50} more (archive plan --json lists all)`);
  }
  if (scan.csvProblems.length) {
    lines.push("");
    lines.push(b(kleur.yellow(`Apple CSV problems: ${scan.csvProblems.length}`)));
    for (const p of scan.csvProblems.slice(0, 10)) lines.push(`  ${p.path}: ${p.reason}`);
  }
  lines.push("");
  lines.push(b(`Batches${s.batchSize ? ` (each under ${formatBytes(s.batchSize)})` : ""}`));
  for (const bt of s.batches) {
    // the batch carries its own convert arguments (real dates) and why it exceeds the batch size, if it does
    lines.push(`  ${bt.name.padEnd(16)} ${String(bt.files).padStart(6)} files  ${formatBytes(bt.outputBytes).padStart(8)} out   archive convert ${bt.convertArgs.join(" ")}${bt.note ? `  (${bt.note})` : ""}`);
  }
  ctx.out(lines.join("\n"));
}
