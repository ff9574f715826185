import { existsSync, realpathSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import kleur from "kleur";
import {
  ArchiveError,
  createExifTool,
  finishRun,
  isInside,
  latestCalibration,
  ledgerLine,
  stampExportDays,
  startRun,
  type Calibration,
  type ExifTool,
  type PathReason,
  type PlanRunSummary,
  type PlanScanFacts,
  type PlanSummary,
  type Workspace,
} from "@archive/core";
import { newContentCount, type NewContent } from "@archive/dedupe";
import { hashPossiblyArchived, scanLibrary, summarisePlan, type ScanResult } from "@archive/scan";
import { EXIT, defineCommand, type Options } from "../command.js";
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
      checkSources(ws, sources);
      const scan = await scanAll(ctx, ws, sources, exiftool);
      // export parts dated by their members: the newest export decides the outputs' organisation
      stampExportDays(ws.catalog);
      if (values["keep-originals"] === true) ws.config.keepOriginals = true;
      ws.saveConfig();
      ctx.progress.clear();
      const { summary, newContent } = await summarise(ctx, ws, values["batch-size"]);
      const record: PlanRunSummary = { ...summary, scan, newContent };
      finishRun(ws.catalog, startRun(ws.catalog, "plan"), "plan", "ok", record);
      if (ctx.opts.json) ctx.out(JSON.stringify(record, null, 2));
      else printPlan(ctx, record);
      // plan surveys: what is unresolved is listed here and keeps convert, verify and run at exit 1
      return EXIT.ok;
    } finally {
      await exiftool.end();
      ws.close();
    }
  },
});

export default command;

/** A source that holds the workspace would be written to: refused before any scan. */
function checkSources(ws: Workspace, sources: readonly string[]): void {
  for (const src of sources) {
    if (!existsSync(src)) throw new ArchiveError("E_SOURCE_MISSING", `the library folder ${src} does not exist`);
    if (isInside(realpathSync(src), realpathSync(ws.root))) {
      throw new ArchiveError(
        "E_DEST_INSIDE_SOURCE",
        `the workspace ${ws.root} is inside the library ${src}; the library is never written to, so choose a destination outside it (-C DEST)`,
      );
    }
  }
}

/** Scan each source into the catalog (recording new sources in the workspace config); the facts of all scans together. */
async function scanAll(ctx: Context, ws: Workspace, sources: readonly string[], exiftool: ExifTool): Promise<PlanScanFacts> {
  const scans: ScanResult[] = [];
  for (const src of sources) {
    scans.push(await scanLibrary({ source: src, catalog: ws.catalog, exiftool, onEvent: ctx.onEvent, signal: ctx.signal, tmpDir: join(ws.dir, "tmp") }));
    if (!ws.config.sources.includes(resolve(src))) ws.config.sources.push(resolve(src));
  }
  const sum = (f: (s: ScanResult) => number) => scans.reduce((n, s) => n + f(s), 0);
  return {
    read: sum((s) => s.read),
    unchanged: sum((s) => s.unchanged),
    missing: sum((s) => s.missing),
    ignored: sum((s) => s.ignored),
    skipped: scans.flatMap((s) => s.skipped),
    csvProblems: scans.flatMap((s) => s.csvProblems),
    durationMs: sum((s) => s.durationMs),
  };
}

/** The plan summary, and (when the workspace already holds an archive) how much of the library is new. */
async function summarise(ctx: Context, ws: Workspace, batchSize: number | undefined): Promise<{ summary: PlanSummary; newContent: NewContent | null }> {
  // a newer export planned into a workspace that already holds an archive: what is new?
  await hashPossiblyArchived(ws.catalog, { onEvent: ctx.onEvent, signal: ctx.signal });
  const counted = newContentCount(ws.catalog);
  const summary = await summarisePlan(ws.catalog, {
    workspace: ws.root,
    sources: ws.config.sources,
    cores: cpus().length,
    // the latest convert run that measured something (a run with nothing to do measures nothing)
    calibration: latestCalibration<Calibration>(ws.catalog),
    keepOriginals: ws.config.keepOriginals,
    ...(batchSize !== undefined ? { batchSize } : {}),
  });
  return { summary, newContent: counted.archived + counted.alreadyArchivedContent > 0 ? counted : null };
}

const MAX_LISTED = 50;

/** A titled list of paths with reasons, the first MAX_LISTED of them. */
function listed(title: string, items: readonly PathReason[], more: string): string[] {
  if (!items.length) return [];
  const lines = ["", title];
  for (const u of items.slice(0, MAX_LISTED)) lines.push(`  ${u.path}: ${u.reason}`);
  if (items.length > MAX_LISTED) lines.push(`  ... and ${items.length - MAX_LISTED} more (${more})`);
  return lines;
}

function printPlan(ctx: Context, r: PlanRunSummary): void {
  ctx.out([...overview(r), ...ledgerLines(r), ...toConvert(r), ...problems(r), ...batches(r)].join("\n"));
}

function overview(r: PlanRunSummary): string[] {
  const { scan } = r;
  const lines = [
    kleur.bold(`Library: ${r.sources.join(", ")}`),
    `${r.totals.files} files, ${formatBytes(r.totals.bytes)}  (scanned in ${formatDuration(scan.durationMs / 1000)}: ${scan.read} read, ${scan.unchanged} unchanged${scan.missing ? `, ${scan.missing} gone from the source` : ""}${scan.ignored ? `, ${scan.ignored} system files ignored (.DS_Store, ._*)` : ""})`,
    "",
    kleur.bold("By year"),
  ];
  const years = Object.entries(r.byYear);
  const max = Math.max(...years.map(([, y]) => y.bytes), 1);
  for (const [year, y] of years) {
    lines.push(`  ${year.padEnd(7)} ${String(y.files).padStart(6)} files ${formatBytes(y.bytes).padStart(8)}  ${kleur.cyan(bar(y.bytes, max, 30))}`);
  }
  lines.push("", kleur.bold("By kind"));
  const kinds: [keyof PlanSummary["byKind"], string][] = [
    ["photo", "photos"], ["livePhoto", "Live Photo files"], ["video", "videos"], ["raw", "RAW"], ["sidecar", "sidecars (AAE)"], ["other", "other"],
  ];
  for (const [k, label] of kinds) {
    const c = r.byKind[k];
    if (c.files) lines.push(`  ${label.padEnd(18)} ${String(c.files).padStart(6)}  ${formatBytes(c.bytes).padStart(8)}`);
  }
  lines.push(
    `  Live Photo pairs ${r.livePhotoPairs}, bursts ${r.bursts.groups} (${r.bursts.frames} frames), edit sets ${r.edits.sets} (${r.edits.edited} edited, ${r.edits.sidecars} sidecars, ${r.edits.orphanSidecars} orphan sidecars)`,
  );
  if (r.albums.length) lines.push(`  Albums: ${r.albums.map((a) => `${a.name} (${a.files})`).join(", ")}`);
  for (const p of r.export?.parts ?? []) lines.push(`  Apple export part "${p.label}": ${p.files} files, ${p.csvNamed} named by its CSV, ${p.deleted} deleted, ${p.favorites} favorites, ${p.hidden} hidden`);
  if (r.export?.filesWithoutRowCount) lines.push(`  Photos/videos no Photo Details row names: ${r.export.filesWithoutRowCount} (--json lists them)`);
  return lines;
}

/** Every item accounted for (issue 10): the ledger line, and the Apple CSV rows that name no file. */
function ledgerLines(r: PlanRunSummary): string[] {
  const l = r.ledger;
  const lines = ["", kleur.bold(l.unaccounted ? kleur.red(ledgerLine(l)) : ledgerLine(l))];
  if (l.unaccounted) lines.push(`  ${l.unaccounted} items have no status the archive can decide: archive list shows them as "unaccounted"`);
  if (!l.rowsWithoutFileCount) return lines;
  lines.push(kleur.bold(kleur.yellow(`CSV rows naming no file: ${l.rowsWithoutFileCount}`)));
  for (const o of l.rowsWithoutFile.slice(0, MAX_LISTED)) lines.push(`  ${o.csv}:${o.line} ${o.name}${o.detail ? ` (${o.detail})` : ""}`);
  if (l.rowsWithoutFileCount > MAX_LISTED) lines.push(`  ... and ${l.rowsWithoutFileCount - MAX_LISTED} more (archive plan --json lists 1,000)`);
  return lines;
}

function toConvert(r: PlanRunSummary): string[] {
  const n = r.needsConversion;
  const e = r.estimate;
  const lines = [
    "",
    kleur.bold("To convert"),
    `  ${n.files} files, ${formatBytes(n.bytes)}: ${n.photos} HEIC/HEIF photos, ${n.videos} videos${n.hdrVideos ? ` (${n.hdrVideos} HDR, tone-mapped)` : ""}`,
    `  Estimate: ${formatBytes(e.outputBytes)} of output, about ${formatDuration(e.seconds)} on ${e.cores} cores (${e.basis === "calibrated" ? `calibrated by the convert run of ${e.calibratedAt}` : "model, not yet calibrated on this machine"})`,
  ];
  if (r.destination.freeBytes !== null) {
    const fit = r.destination.fits ? kleur.green("fits") : kleur.red("does NOT fit");
    lines.push(`  Destination ${r.destination.path}: ${formatBytes(r.destination.freeBytes)} free, ${fit}`);
  }
  const c = r.newContent;
  if (c) {
    lines.push(
      `  Already archived: ${c.archived} files; ${c.alreadyArchivedContent} more have the same content as archived files (not converted again). New: ${c.newFiles} files, ${formatBytes(c.newBytes)}`,
    );
  }
  if (r.duplicates.groups) lines.push(`  Exact duplicates: ${r.duplicates.files} files, ${formatBytes(r.duplicates.bytes)} in ${r.duplicates.groups} groups`);
  return lines;
}

/** Everything that will not be archived as it is, by name: the text summary hides nothing --json has. */
function problems(r: PlanRunSummary): string[] {
  const lines: string[] = [];
  const weak = r.weakCaptureTime;
  if (weak.files) {
    const how = Object.entries(weak.bySource).map(([k, n]) => `${n} from the ${k === "mtime" ? "file date" : "file name"}`).join(", ");
    lines.push("", kleur.bold(kleur.yellow(`Capture time is only a guess for ${weak.files} files`)) + ` (${how})`);
    for (const p of weak.examples.slice(0, 5)) lines.push(`  ${p}`);
  }
  // folders too, not only files
  lines.push(...listed(kleur.bold(kleur.red(`Unreadable: ${r.unreadable.length} ${r.unreadable.length === 1 ? "entry" : "entries"}`)), r.unreadable, "archive plan --json lists all"));
  lines.push(...listed(kleur.bold(kleur.yellow(`Skipped, not archived: ${r.skipped.length} (folder links, FIFOs/devices, names that are not UTF-8)`)), r.skipped, "archive plan --json lists all"));
  const mismatch = r.extensionMismatch.examples.map((m) => ({ path: m.path, reason: `a ${m.format.toUpperCase()} named .${m.extension}; its output is named after its content` }));
  lines.push(...listed(kleur.bold(kleur.yellow(`Extension disagrees with the content: ${r.extensionMismatch.files}`)), mismatch, "archive plan --json lists 1,000"));
  const changed = r.changedSinceArchived ?? { files: 0, examples: [] };
  const keep = changed.examples.map((c) => ({ path: c.path, reason: `archived as ${c.output} (kept); convert archives the new content beside it` }));
  lines.push(...listed(kleur.bold(kleur.yellow(`Changed since archived: ${changed.files}`)), keep, "archive plan --json lists 1,000"));
  lines.push(...listed(kleur.bold(kleur.yellow(`Apple CSV problems: ${r.scan.csvProblems.length}`)), r.scan.csvProblems, "archive plan --json lists all"));
  const u = r.unresolved;
  if (u.unresolved) {
    lines.push(
      "",
      kleur.red(`${u.unresolved} unreadable or skipped ${u.unresolved === 1 ? "entry is" : "entries are"} unresolved: the archive is not ready (convert, verify and run exit 1) until each is fixed and planned again, or accepted as lost with archive verify --accept-unreadable.`) +
        (u.accepted ? ` ${u.accepted} accepted earlier.` : ""),
    );
  } else if (u.accepted) lines.push("", `${u.accepted} unreadable or skipped entries were accepted earlier (--accept-unreadable); they are not archived.`);
  return lines;
}

function batches(r: PlanRunSummary): string[] {
  const lines = ["", kleur.bold(`Batches${r.batchSize ? ` (each under ${formatBytes(r.batchSize)})` : ""}`)];
  for (const bt of r.batches) {
    // the batch carries its own convert arguments (real dates) and why it exceeds the batch size, if it does
    lines.push(`  ${bt.name.padEnd(16)} ${String(bt.files).padStart(6)} files  ${formatBytes(bt.outputBytes).padStart(8)} out   archive convert ${bt.convertArgs.join(" ")}${bt.note ? `  (${bt.note})` : ""}`);
  }
  return lines;
}
