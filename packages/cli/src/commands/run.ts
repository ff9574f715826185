import { resolve } from "node:path";
import kleur from "kleur";
import { ArchiveError, openWorkspace } from "@archive/core";
import { defineCommand } from "../command.js";
import type { Context } from "../context.js";
import convert, { CONVERT_OPTIONS } from "./convert.js";
import manifest, { MANIFEST_OPTIONS } from "./manifest.js";
import plan, { PLAN_OPTIONS } from "./plan.js";
import verify, { VERIFY_OPTIONS } from "./verify.js";

/** Failed conversions of files that were readable at scan time (unreadable ones are recorded reasons). */
function realConversionFailures(root: string): number {
  const ws = openWorkspace(root);
  try {
    const run = ws.catalog.db.prepare("SELECT id FROM runs WHERE command = 'convert' ORDER BY id DESC LIMIT 1").get() as { id: number } | undefined;
    if (!run) return 0;
    return (
      ws.catalog.db
        .prepare("SELECT COUNT(*) AS n FROM jobs j JOIN items i ON i.id = j.item_id WHERE j.status = 'failed' AND i.error IS NULL AND j.run_id = ?")
        .get(run.id) as { n: number }
    ).n;
  } finally {
    ws.close();
  }
}

const command = defineCommand({
  name: "run",
  summary: "all stages: plan -> convert -> manifest -> verify, stopping at the first that fails",
  description: `
Runs every stage on SOURCE into the workspace DEST (default: the current folder):
  1. plan      scan and catalog (incremental)
  2. convert   convert and copy (incremental; resumes an interrupted run)
  3. manifest  SHA-256 of every archived file (written by convert; --bagit adds a BagIt bag)
  4. verify    fixity, completeness, metadata parity, decode/playback (--quick: size+mtime)
Stops at the first stage that fails and says where to look. Files that were unreadable in the
source are listed by plan and recorded by convert; they do not stop the run.`,
  args: { name: "SOURCE", min: 1, max: 1 },
  options: { ...CONVERT_OPTIONS, ...MANIFEST_OPTIONS, ...VERIFY_OPTIONS, ...PLAN_OPTIONS },
  async run(ctx: Context, values, positionals) {
    const dest = resolve(ctx.opts.cwd, ctx.opts.dir ?? ".");
    const sub: Context = { ...ctx, opts: { ...ctx.opts, dir: dest } };
    const say = (stage: string) => {
      if (!ctx.opts.json) ctx.out(kleur.bold().cyan(`\n== ${stage} ==`));
    };
    say("plan");
    let code = await plan.run(sub, values, positionals);
    if (code !== 0) return stop(ctx, "plan", code, "the plan output above");
    if (ctx.signal.aborted) return 130;
    say("convert");
    code = await convert.run(sub, values, []);
    const real = realConversionFailures(dest);
    if (ctx.signal.aborted) return 130;
    if (code !== 0 && real > 0) return stop(ctx, "convert", code, `the failures listed above (archive convert -C ${dest} --json has them all)`);
    // convert has just written the manifest; the manifest stage only adds the BagIt bag
    if (values.bagit === true) {
      say("manifest");
      code = await manifest.run(sub, values, []);
      if (code !== 0) return stop(ctx, "manifest", code, "the manifest errors above");
      if (ctx.signal.aborted) return 130;
    }
    say("verify");
    code = await verify.run(sub, values, []);
    if (code !== 0) return stop(ctx, "verify", code, `the verify report above (archive verify -C ${dest} --json)`);
    if (!ctx.opts.json) ctx.out(kleur.green(`\nAll stages passed. The archive in ${dest} is ready for offsite backup.`));
    return 0;
  },
});

function stop(ctx: Context, stage: string, code: number, where: string): number {
  ctx.err(kleur.red(`archive run: stopped at ${stage} (exit ${code}). Look at ${where}.`));
  return code;
}

export default command;
