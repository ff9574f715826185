// `archive verify --at DEST` / `--sample PCT` (issue 11): the copy check, rendered. Called from
// verify.ts when either option is given; the checking itself lives in @archive/verify (handoff/).
import kleur from "kleur";
import { ArchiveError, recordVerified, WORKSPACE_PLACE, type Workspace } from "@archive/core";
import { checkCopy, loadManifest, unprotectedFiles, type CopyCheckReport, type VerifyReport } from "@archive/verify";
import { EXIT, type Options } from "../command.js";
import { workspaceFor, type Context } from "../context.js";
import { formatBytes, formatDuration } from "../render.js";

/** The options verify gains for copies elsewhere and scrubbing. */
export const VERIFY_AT_OPTIONS = {
  at: { kind: "string", value: "DEST", help: "check a copy elsewhere against this workspace's manifest: a folder, or an rclone remote name:path" },
  download: { kind: "boolean", help: "with --at on a remote whose backend has no SHA-256: read every file through rclone and hash it here" },
  sample: { kind: "int", value: "PCT", min: 1, max: 100, help: "re-read about PCT% of the files, least recently verified first (100/PCT runs cover all)" },
} as const satisfies Options;

/** Run the copy check for verify's --at / --sample and print it; returns the exit code. */
export async function runVerifyAt(ctx: Context, values: { at?: string; download?: boolean; sample?: number; quick?: boolean; complete?: boolean }): Promise<number> {
  if (values.quick || values.complete) throw new ArchiveError("E_USAGE", "--quick and --complete belong to the full verify; --at and --sample always re-read files against the manifest");
  if (values.download && values.at === undefined) throw new ArchiveError("E_USAGE", "--download reads a remote copy: give it with --at REMOTE:PATH");
  // a read-only archive (a backup disk, a mount) is checked all the same; only the records are skipped
  const ws = workspaceFor(ctx, { readOnly: "auto" });
  try {
    const report = await checkCopy({
      workspace: ws.root,
      catalog: ws.catalog,
      readOnly: ws.readOnly,
      cwd: ctx.opts.cwd,
      ...(values.at !== undefined ? { at: values.at } : {}),
      ...(values.download ? { download: true } : {}),
      ...(values.sample !== undefined ? { samplePct: values.sample } : {}),
      onEvent: ctx.onEvent,
      signal: ctx.signal,
    });
    const protection = await unprotectedFiles(ws.root, ws.catalog);
    ctx.progress.clear();
    if (ctx.opts.json) ctx.out(JSON.stringify({ ...report, unprotected: protection.unprotected.length }, null, 2));
    else printCopyCheck(ctx, report, protection.unprotected);
    if (ws.readOnly) ctx.err(`The archive at ${ws.root} is read-only: nothing was written (no hand-off proof or re-read times recorded).`);
    return report.ok ? EXIT.ok : EXIT.attention;
  } finally {
    ws.close();
  }
}

const MAX_LISTED = 50;

function listed(lines: string[], title: string, items: { path: string; reason?: string }[]): void {
  if (!items.length) return;
  lines.push("", kleur.bold(kleur.red(`${title}: ${items.length}`)));
  for (const f of items.slice(0, MAX_LISTED)) lines.push(`  ${JSON.stringify(f.path)}${f.reason ? `: ${f.reason}` : ""}`);
  if (items.length > MAX_LISTED) lines.push(`  ... and ${items.length - MAX_LISTED} more (--json lists all)`);
}

function printCopyCheck(ctx: Context, r: CopyCheckReport, unprotected: string[]): void {
  const where = r.kind === "workspace" ? `the workspace ${r.dest}` : `${r.dest} (${r.kind === "rclone" ? "rclone remote" : "folder"})`;
  const lines = [kleur.bold(`Verify ${where} against manifest-sha256.txt (${r.manifestSha256.slice(0, 16)}...)`)];
  lines.push(`  ${r.passed}/${r.checked} files passed, ${formatBytes(r.bytes)}, in ${formatDuration(r.durationMs / 1000)}`);
  for (const n of r.notes) lines.push(kleur.dim(`  ${n}`));
  listed(lines, "Missing at the copy", r.missing.map((p) => ({ path: p })));
  listed(lines, "Damaged (checksum differs from the manifest)", r.damaged);
  listed(lines, "Extra (not in the manifest)", r.extra.map((p) => ({ path: p })));
  listed(lines, "Could not be read", r.unreadable);
  if (unprotected.length) lines.push("", kleur.yellow(`No PAR2 protection yet: ${unprotected.length} of ${r.manifestFiles} files (archive protect)`));
  lines.push("");
  if (r.ok) {
    lines.push(kleur.green(kleur.bold(r.recorded ? `Copy proven: hand-off recorded for ${r.dest}.` : "All checked files match the manifest.")));
  } else lines.push(kleur.red(kleur.bold("Verification FAILED: see the files above.")));
  ctx.out(lines.join("\n"));
}

/**
 * After a full `archive verify`: files whose fixity passed count as re-read now (so `--sample`
 * starts from the least recently verified), and the files without PAR2 protection are named.
 */
export async function afterFullVerify(ctx: Context, ws: Workspace, r: VerifyReport): Promise<void> {
  const fixity = r.checks.find((c) => c.name === "fixity");
  let manifest: Map<string, string>;
  try {
    manifest = (await loadManifest(ws.root)).entries;
  } catch {
    return; // verify has already said the manifest is missing
  }
  if (fixity && !r.quick && !ws.readOnly) {
    const failed = new Set(fixity.failures.map((f) => f.path));
    recordVerified(ws.catalog, WORKSPACE_PLACE, [...manifest.keys()].filter((rel) => !failed.has(rel)));
  }
  const { unprotected } = await unprotectedFiles(ws.root, ws.catalog);
  if (unprotected.length && !ctx.opts.json) ctx.out(kleur.yellow(`No PAR2 protection yet: ${unprotected.length} of ${manifest.size} files (archive protect)`));
}
