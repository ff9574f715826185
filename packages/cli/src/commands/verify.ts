import kleur from "kleur";
import { createExifTool, startRun, finishRun } from "@archive/core";
import { verify, verifySummary, type VerifyReport } from "@archive/verify";
import { EXIT, defineCommand, type Options } from "../command.js";
import { ACCEPT_OPTIONS, acceptAll, acceptedLines, unresolvedLines, type Unresolved } from "../unresolved.js";
import { workspaceFor, type Context } from "../context.js";
import { formatDuration } from "../render.js";
import { FFMPEG_HINT, FFMPEG_OPTIONS } from "../tools.js";
import { afterFullVerify, runVerifyAt, VERIFY_AT_OPTIONS } from "./verify-at.js";

/** Verify's own options; `archive run` takes them too. */
export const VERIFY_OPTIONS = {
  quick: {
    kind: "boolean",
    help: "fixity by size + mtime + inode against the hash cache (bytes not re-read), videos by ffprobe -count_packets; the report says so",
  },
  complete: { kind: "boolean", help: "items not converted yet are failures (use before the offsite copy)" },
  ...ACCEPT_OPTIONS,
  ...FFMPEG_OPTIONS,
} as const satisfies Options;

const command = defineCommand({
  name: "verify",
  summary: "prove the archive: SHA-256 fixity, completeness, metadata parity, decode/playback",
  description: `
Checks, in this order, and reports every failure with its file and reason:
  fixity        every file in manifest-sha256.txt exists and has its SHA-256 (re-read in full);
                an output missing from the manifest, and any file no job wrote ("extra": not
                part of the archive), are failures too
  completeness  every source item in the catalog has its output(s), or a recorded reason
                (skipped, duplicate of an archived item, unreadable); failed conversions fail;
                Live Photo pairs have both halves
  metadata      converted files against their source, read with exiftool: capture time and
                offset, GPS (1e-5 degrees), make/model, displayed size, video duration (0.1 s),
                Live Photo content id
  decode        every image decodes fully (sharp; a truncated JPEG fails), every video decodes
                end to end (ffmpeg -xerror; any decoder message fails; decoded duration must
                match the container's); without ffmpeg/ffprobe every other check still runs,
                each video is named as not checked, and the run ends with exit 1 ("N videos
                could not be checked": ${FFMPEG_HINT})

Items not converted yet (or whose current content is in no output: edited since) are listed
but pass, unless --complete.
A read-only archive (a backup disk, a read-only mount) is verified without writing anything;
its run record is skipped with a note.
Source files or folders that could not be read (or were skipped: links, FIFOs) and are not
accepted keep the exit code at 1 and the verdict at "not ready", even when every check passed;
--accept-unreadable accepts them as not archived (recorded; plan and the report show it).
Exit code 0 only when every check passed and nothing is unresolved; 1 otherwise.`,
  options: { ...VERIFY_OPTIONS, ...VERIFY_AT_OPTIONS },
  async run(ctx, values) {
    if (values.at !== undefined || values.sample !== undefined || values.download) return runVerifyAt(ctx, values);
    // a read-only archive (a backup disk, a read-only mount) is verified without a single write
    const ws = workspaceFor(ctx, { readOnly: "auto" });
    const exiftool = createExifTool();
    try {
      const accept = values["accept-unreadable"] === true;
      // recorded in the catalog; a read-only archive accepts them for this run only (and says so)
      const accepted = accept && !ws.readOnly ? acceptAll(ws.catalog) : null;
      if (accept && ws.readOnly) ctx.err("--accept-unreadable: the archive is read-only, so the acceptance counts for this run only and is not recorded.");
      const run = ws.readOnly ? null : startRun(ws.catalog, "verify");
      const report = await verify({
        workspace: ws.root,
        catalog: ws.catalog,
        quick: values.quick === true,
        complete: values.complete === true,
        exiftool,
        onEvent: ctx.onEvent,
        signal: ctx.signal,
        readOnly: ws.readOnly,
        acceptUnreadable: accept,
        ...(values.ffmpeg !== undefined ? { ffmpeg: values.ffmpeg } : {}),
        ...(values.ffprobe !== undefined ? { ffprobe: values.ffprobe } : {}),
      });
      // unresolved keeps verify at 1 even without --complete (where the library fails them too)
      const open: Unresolved = { total: report.unreadable.unresolved.length, list: report.unreadable.unresolved.slice(0, 50) };
      const ready = report.ok && open.total === 0;
      if (run !== null) finishRun(ws.catalog, run, "verify", ready ? "ok" : report.ok ? "unresolved" : "failed", verifySummary(report));
      else ctx.err(`The archive at ${ws.root} is read-only: nothing was written (the hash cache was only read; this run record is skipped).`);
      ctx.progress.clear();
      if (ctx.opts.json) ctx.out(JSON.stringify({ ...report, ready, acceptedNow: accepted?.list ?? [] }, null, 2));
      else printReport(ctx, report, open, accepted);
      await afterFullVerify(ctx, ws, report);
      return ready ? EXIT.ok : EXIT.attention;
    } finally {
      await exiftool.end();
      ws.close();
    }
  },
});

export default command;

const MAX_LISTED = 50;

function printReport(ctx: Context, r: VerifyReport, open: Unresolved, accepted: Unresolved | null): void {
  const lines: string[] = [];
  lines.push(kleur.bold(`Verify ${r.workspace}${r.quick ? " (--quick)" : ""}`));
  const w = Math.max(...r.checks.map((c) => c.name.length));
  for (const c of r.checks) {
    const status = c.failed ? kleur.red("FAIL") : c.unchecked.length ? kleur.yellow("SKIP") : kleur.green("ok  ");
    const counts = [`${c.passed}/${c.checked} passed`];
    if (c.failed) counts.push(`${c.failed} failed`);
    if (c.unchecked.length) counts.push(`${c.unchecked.length} not checked`);
    // with --complete they are failures above; without, they are open, never "passed"
    if (c.name === "completeness" && !r.complete && open.total) counts.push(`${open.total} unresolved`);
    if (c.skipped.length) counts.push(`${c.skipped.length} not applicable`);
    lines.push(`  ${status} ${c.name.padEnd(w)}  ${counts.join(", ")}  (${formatDuration(c.durationMs / 1000)})`);
    for (const n of c.notes) lines.push(kleur.dim(`         ${n}`));
  }
  const unchecked = r.checks.flatMap((c) => c.unchecked);
  if (unchecked.length) {
    lines.push("", kleur.bold(kleur.yellow(`Not checked: ${unchecked.length}`)));
    for (const u of unchecked.slice(0, MAX_LISTED)) lines.push(`  ${JSON.stringify(u.path)}: ${u.reason}`);
    if (unchecked.length > MAX_LISTED) lines.push(`  ... and ${unchecked.length - MAX_LISTED} more (archive verify --json lists all)`);
  }
  for (const c of r.checks) {
    if (!c.failures.length) continue;
    lines.push("");
    lines.push(kleur.bold(kleur.red(`${c.name}: ${c.failures.length} failed`)));
    for (const f of c.failures.slice(0, MAX_LISTED)) lines.push(`  ${JSON.stringify(f.path)}: ${f.reason}`);
    if (c.failures.length > MAX_LISTED) lines.push(`  ... and ${c.failures.length - MAX_LISTED} more (archive verify --json lists all)`);
  }
  const accounted = r.checks.find((c) => c.name === "completeness")?.skipped ?? [];
  if (accounted.length) {
    lines.push("");
    lines.push(kleur.bold(`Not archived, with a recorded reason: ${accounted.length}`));
    for (const s of accounted.slice(0, MAX_LISTED)) lines.push(`  ${JSON.stringify(s.path)}: ${s.reason}`);
    if (accounted.length > MAX_LISTED) lines.push(`  ... and ${accounted.length - MAX_LISTED} more (archive verify --json lists all)`);
  }
  if (r.notConvertedYet.length) {
    lines.push("");
    lines.push(kleur.yellow(`Not converted yet: ${r.notConvertedYet.length} items${r.complete ? "" : " (not a failure without --complete)"}`));
    for (const p of r.notConvertedYet.slice(0, 10)) lines.push(`  ${p}`);
    if (r.notConvertedYet.length > 10) lines.push(`  ... and ${r.notConvertedYet.length - 10} more`);
  }
  if (accepted?.total) lines.push("", ...acceptedLines(accepted));
  if (open.total) lines.push("", ...unresolvedLines(open));
  lines.push("");
  const failed = r.checks.some((c) => c.failed > 0);
  if (failed) lines.push(kleur.red(kleur.bold("Verification FAILED: see the failures above.")));
  else if (unchecked.length) lines.push(kleur.yellow(kleur.bold(`${uncheckedVerdict(unchecked)}: ${FFMPEG_HINT}, then run archive verify again.`)));
  else if (open.total) lines.push(kleur.yellow(kleur.bold(`All checks passed, but the archive is NOT ready: ${open.total} unresolved (above).`)));
  else lines.push(kleur.green(kleur.bold("All checks passed.")));
  ctx.out(lines.join("\n"));
}

/** "3 videos could not be checked: ffmpeg not found" (the reason after "video not checked: "). */
function uncheckedVerdict(unchecked: readonly { reason: string }[]): string {
  const why = unchecked[0]!.reason.replace(/^video not checked: /, "");
  return `${unchecked.length} ${unchecked.length === 1 ? "video" : "videos"} could not be checked: ${why}`;
}
