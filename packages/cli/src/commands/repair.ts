import kleur from "kleur";
import { repair, type RepairResult } from "@archive/verify";
import { defineCommand, EXIT } from "../command.js";
import { workspaceFor, type Context } from "../context.js";
import { formatDuration } from "../render.js";

const command = defineCommand({
  name: "repair",
  summary: "repair damaged or missing archive files from the PAR2 data of archive protect",
  description: `
Re-reads every file in manifest-sha256.txt; each damaged, missing or unreadable file is repaired
with par2 from the set that protects it, and counts as repaired only when its SHA-256 equals the
manifest's again. par2's copy of a damaged file is moved to DEST/.archive/damaged/<time>/ (kept,
never deleted). Exit 0 only when every damaged file is restored byte for byte; 1 otherwise (each
file still damaged is named with par2's reason, e.g. not enough recovery blocks).`,
  options: {},
  async run(ctx) {
    const ws = workspaceFor(ctx);
    try {
      const r = await repair({ workspace: ws.root, catalog: ws.catalog, onEvent: ctx.onEvent, signal: ctx.signal });
      ctx.progress.clear();
      if (ctx.opts.json) ctx.out(JSON.stringify(r, null, 2));
      else printRepair(ctx, r);
      return r.ok ? EXIT.ok : EXIT.attention;
    } finally {
      ws.close();
    }
  },
});

export default command;

function printRepair(ctx: Context, r: RepairResult): void {
  const lines: string[] = [];
  if (!r.broken) lines.push(kleur.green(kleur.bold("Every file matches the manifest: nothing to repair.")));
  else lines.push(kleur.bold(`Repair: ${r.broken} damaged or missing files, ${r.repaired.length} restored byte for byte`));
  for (const p of r.repaired) lines.push(kleur.green(`  repaired ${JSON.stringify(p)}`));
  for (const f of r.failed) lines.push(kleur.red(`  NOT repaired ${JSON.stringify(f.path)}: ${f.reason}`));
  if (r.damagedCopies) lines.push(kleur.dim(`  the damaged copies were moved to ${r.damagedCopies}`));
  for (const n of r.notes) lines.push(kleur.dim(`  ${n}`));
  lines.push(`Done in ${formatDuration(r.durationMs / 1000)}.`);
  ctx.out(lines.join("\n"));
}
