import kleur from "kleur";
import { ArchiveError, startRun, finishRun } from "@archive/core";
import {
  dedupeSummary,
  findArchiveDuplicates,
  findSourceDuplicates,
  linkDuplicates,
  newContentCount,
  quarantineDuplicates,
  restoreQuarantine,
  type ActionResult,
  type DedupeReport,
  type DuplicateMember,
} from "@archive/dedupe";
import { defineCommand } from "../command.js";
import { workspaceFor, type Context } from "../context.js";
import { formatBytes, formatDuration } from "../render.js";

const command = defineCommand({
  name: "dedupe",
  summary: "exact duplicates by checksum: report, or link/quarantine archive copies (never delete)",
  description: `
Finds files with identical bytes, in the library (the catalogued source, never written) and in
the archive (converted/ and originals/): same size, then the first and last 4 KiB (xxh128),
then a full SHA-256. A hard link or a symlink to the same file is one file, not a duplicate.
Reports each group, the copy kept and why (already archived > --keep-path > in an album >
earliest capture time > shortest path > first seen), and the bytes a single copy saves.
Duplicate groups are recorded in the catalog, so convert archives one copy only.`,
  options: {
    "keep-path": { kind: "list", value: "PREFIX", help: "prefer keepers under PREFIX (repeatable; absolute, or relative to the source / workspace)" },
    "include-empty": { kind: "boolean", help: "count zero-byte files as duplicates of each other" },
    link: { kind: "boolean", help: "replace archive duplicates by hard links to the keeper (same file system, checked byte-for-byte)" },
    quarantine: { kind: "boolean", help: "move archive copies no job wrote to .archive/quarantine/ (logged); files the job journal records stay in place" },
    restore: { kind: "boolean", help: "move everything quarantined back (replays the log)" },
    "dry-run": { kind: "boolean", help: "with --link/--quarantine/--restore: say what would be done" },
  },
  notes: "Default is report only. There is no delete action.",
  async run(ctx, values) {
    const actions = (["link", "quarantine", "restore"] as const).filter((a) => values[a] === true);
    if (actions.length > 1) throw new ArchiveError("E_USAGE", `choose one of --link, --quarantine, --restore (got ${actions.map((a) => "--" + a).join(" ")})`);
    const action = actions[0];
    const dryRun = values["dry-run"] === true;
    const ws = workspaceFor(ctx);
    try {
      if (action === "restore") {
        const res = await restoreQuarantine({ workspace: ws.root, catalog: ws.catalog, onEvent: ctx.onEvent, dryRun });
        ctx.progress.clear();
        if (ctx.opts.json) ctx.out(JSON.stringify({ restore: res }, null, 2));
        else printAction(ctx, res, dryRun);
        return res.failed.length ? 1 : 0;
      }
      const keepPath = values["keep-path"] ?? [];
      const common = { catalog: ws.catalog, keepPath, includeEmpty: values["include-empty"] === true, onEvent: ctx.onEvent, signal: ctx.signal };
      const run = startRun(ws.catalog, "dedupe");
      const source = await findSourceDuplicates(common);
      const archive = await findArchiveDuplicates({ ...common, workspace: ws.root });
      let res: ActionResult | undefined;
      if (action === "link") res = linkDuplicates(archive, { workspace: ws.root, catalog: ws.catalog, onEvent: ctx.onEvent, dryRun });
      else if (action === "quarantine") res = quarantineDuplicates(archive, { workspace: ws.root, catalog: ws.catalog, onEvent: ctx.onEvent, dryRun });
      const fresh = newContentCount(ws.catalog);
      ctx.progress.clear();
      const summary = dedupeSummary(source, archive, res);
      const failed = source.problems.length + archive.problems.length + (res?.failed.length ?? 0);
      finishRun(ws.catalog, run, "dedupe", failed ? "failures" : "ok", summary);
      if (ctx.opts.json) ctx.out(JSON.stringify({ source, archive, newContent: fresh, ...(res ? { action: res } : {}) }, null, 2));
      else {
        printReport(ctx, "Library", source);
        printReport(ctx, "Archive", archive);
        ctx.out(
          `New content for the archive: ${fresh.newFiles} files, ${formatBytes(fresh.newBytes)}` +
            (fresh.alreadyArchivedContent ? `; ${fresh.alreadyArchivedContent} files already archived under another name` : "") +
            (fresh.unhashed ? ` (${fresh.unhashed} not hashed: no size collision, so unique)` : ""),
        );
        if (res) printAction(ctx, res, dryRun);
        else if (archive.groups.length) ctx.out(kleur.dim("Report only. --link or --quarantine acts on the archive copies (never the library)."));
      }
      return failed ? 1 : 0;
    } finally {
      ws.close();
    }
  },
});

export default command;

function printReport(ctx: Context, title: string, r: DedupeReport): void {
  const lines: string[] = [];
  const s = r.stats;
  lines.push(
    kleur.bold(`${title}: ${r.groups.length} duplicate groups, ${r.duplicateFiles} extra copies, ${formatBytes(r.bytesSaved)} saved by keeping one`) +
      kleur.dim(`  (${s.candidates} same-size files, ${s.sameFile} same-file aliases, ${s.edgeDropped} ruled out by edges, ${s.sha256Hashed} hashed, ${s.sha256Cached} cached; ${formatDuration(r.durationMs / 1000)})`),
  );
  if (r.note) lines.push(`  ${r.note}`);
  for (const g of r.groups.slice(0, 50)) {
    lines.push(`  ${formatBytes(g.size)}  ${g.sha256.slice(0, 12)}`);
    lines.push(`    keep  ${g.keeper.rel}  ${kleur.dim(`(${g.reason})`)}`);
    for (const d of g.duplicates) lines.push(`    dup   ${d.rel}${duplicateNote(r, d)}`);
    for (const a of g.aliases) lines.push(kleur.dim(`    same file (link): ${a.rel}`));
  }
  if (r.groups.length > 50) lines.push(`  ... and ${r.groups.length - 50} more groups (--json lists all)`);
  for (const p of r.problems) lines.push(kleur.yellow(`  ! ${p.path}: ${p.reason}`));
  ctx.out(lines.join("\n"));
}

/** What a duplicate line adds: an earlier export's archived copy, or a journalled archive file (--link only). */
function duplicateNote(r: DedupeReport, d: DuplicateMember): string {
  if (!d.present) return kleur.dim("  (earlier export, already archived)");
  if (r.scope === "archive" && d.archived) return kleur.dim("  (journalled: kept in place by --quarantine; --link saves the space)");
  return "";
}

function printAction(ctx: Context, res: ActionResult, dryRun: boolean): void {
  const verb = { link: "linked", quarantine: "quarantined", restore: "restored" }[res.action];
  const lines = [kleur.bold(`${dryRun ? "Would have " : ""}${verb} ${res.done.length} files (${formatBytes(res.bytes)})`)];
  for (const d of res.done.slice(0, 50)) {
    if (res.action === "quarantine") lines.push(`  ${d.path} -> ${d.to ?? "?"}${d.keeper ? kleur.dim(`  (same bytes as ${d.keeper})`) : ""}`);
    else lines.push(`  ${d.path}${d.keeper ? ` -> ${d.keeper}` : ""}${d.to && d.to !== d.path ? ` -> ${d.to}` : ""}`);
  }
  for (const s of res.skipped.slice(0, 50)) lines.push(kleur.dim(`  skipped ${s.path}: ${s.reason}`));
  if (res.skipped.length > 50) lines.push(kleur.dim(`  ... and ${res.skipped.length - 50} more skipped (--json lists all)`));
  for (const f of res.failed) lines.push(kleur.red(`  FAILED ${f.path}: ${f.reason}`));
  if (res.action === "quarantine" && res.done.length && !dryRun) lines.push("Undo with: archive dedupe --restore");
  ctx.out(lines.join("\n"));
}
