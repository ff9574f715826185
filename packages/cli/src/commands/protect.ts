import kleur from "kleur";
import { ArchiveError } from "@archive/core";
import { protect, type ProtectResult } from "@archive/verify";
import { defineCommand, EXIT } from "../command.js";
import { workspaceFor, type Context } from "../context.js";
import { formatBytes, formatDuration } from "../render.js";

const command = defineCommand({
  name: "protect",
  summary: "PAR2 recovery data for the archive (per year, incremental), so bit rot can be repaired",
  description: `
Writes PAR2 recovery data (the system par2, par2cmdline) under DEST/protection/<year>/ for every
file in manifest-sha256.txt that no set protects yet: one set per capture year, split into sets
of at most 1,000 files / 2 GB (far below par2's limits). Incremental: files already protected
with the bytes the manifest lists are skipped, so existing sets are never rebuilt; a new batch
adds its own set. Only bytes that match the manifest are protected (a file that changed is named
and left out). protection/ is not part of the archive: manifest and verify leave it alone.
Repair with \`archive repair\`; or without us: par2 repair -B DEST DEST/protection/2019/2019-001.par2`,
  options: {
    redundancy: { kind: "string", value: "PCT", help: "recovery data as a percent of the protected bytes (default 10%)" },
  },
  async run(ctx, values) {
    const redundancy = parsePercent(values.redundancy ?? "10%");
    const ws = workspaceFor(ctx);
    try {
      const r = await protect({ workspace: ws.root, catalog: ws.catalog, redundancy, onEvent: ctx.onEvent, signal: ctx.signal });
      ctx.progress.clear();
      if (ctx.opts.json) ctx.out(JSON.stringify(r, null, 2));
      else printProtect(ctx, r);
      return r.ok ? EXIT.ok : EXIT.attention;
    } finally {
      ws.close();
    }
  },
});

export default command;

function parsePercent(raw: string): number {
  const m = /^\s*(\d+)\s*%?\s*$/.exec(raw);
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= 1 && n <= 100)) throw new ArchiveError("E_USAGE", `--redundancy: expected a whole percentage from 1% to 100%, got "${raw}"`);
  return n;
}

function printProtect(ctx: Context, r: ProtectResult): void {
  const lines = [kleur.bold(`Protect: ${r.protectedFiles} of ${r.manifestFiles} manifest files have PAR2 recovery data`)];
  if (!r.created.length) lines.push(`  nothing new to protect (${r.existingSets} existing sets kept as they are)`);
  for (const s of r.created) lines.push(`  ${s.par2}: ${s.files} files, ${formatBytes(s.bytes)}`);
  if (r.created.length && r.existingSets) lines.push(kleur.dim(`  ${r.existingSets} existing sets kept as they are`));
  for (const n of r.notes) lines.push(kleur.dim(`  ${n}`));
  if (r.skipped.length) {
    lines.push("", kleur.red(`Not protected: ${r.skipped.length}`));
    for (const s of r.skipped.slice(0, 50)) lines.push(`  ${JSON.stringify(s.path)}: ${s.reason}`);
  }
  lines.push(`Done in ${formatDuration(r.durationMs / 1000)}.`);
  ctx.out(lines.join("\n"));
}
