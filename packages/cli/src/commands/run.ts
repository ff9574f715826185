import { resolve } from "node:path";
import kleur from "kleur";
import { lastRun, latestConvertRealFailures, openWorkspace, type Catalog } from "@archive/core";
import { EXIT, defineCommand } from "../command.js";
import type { Context } from "../context.js";
import { acceptedLines, acceptAll, unresolvedNow } from "../unresolved.js";
import convert, { CONVERT_OPTIONS } from "./convert.js";
import manifest, { MANIFEST_OPTIONS } from "./manifest.js";
import plan, { PLAN_OPTIONS } from "./plan.js";
import verify, { VERIFY_OPTIONS } from "./verify.js";

const command = defineCommand({
  name: "run",
  summary: "all stages: plan -> convert -> manifest -> verify, stopping at the first that fails",
  description: `
Runs every stage on SOURCE... (folders, Apple export zip parts, as plan takes) into the workspace DEST (default: the current folder):
  1. plan      scan and catalog (incremental)
  2. convert   convert and copy (incremental; resumes an interrupted run)
  3. manifest  SHA-256 of every archived file (written by convert; --bagit adds a BagIt bag)
  4. verify    fixity, completeness, metadata parity, decode/playback (--quick: size+mtime)
Stops at the first stage that fails and says where to look. Source files that cannot be read
do not stop the run, but they are named, and the run ends "NOT ready" with exit 1 until they are
fixed (and planned again) or accepted as lost with --accept-unreadable (recorded). Only a run
with every item archived or accepted ends "ready for offsite backup" with exit 0.`,
  args: { name: "SOURCE", min: 1 }, // as plan: folders, zip parts, or folders holding them, any mix
  options: { ...CONVERT_OPTIONS, ...MANIFEST_OPTIONS, ...VERIFY_OPTIONS, ...PLAN_OPTIONS },
  async run(ctx: Context, values, positionals) {
    const dest = resolve(ctx.opts.cwd, ctx.opts.dir ?? ".");
    const sub: Context = { ...ctx, opts: { ...ctx.opts, dir: dest } };
    const say = (stage: string) => {
      if (!ctx.opts.json) ctx.out(kleur.bold().cyan(`\n== ${stage} ==`));
    };
    say("plan");
    let code = await plan.run(sub, values, positionals);
    if (code !== EXIT.ok) return stop(ctx, "plan", code, "the plan output above");
    if (ctx.signal.aborted) return EXIT.interrupted;
    // accepted before convert, so convert does not report as open what the user has accepted
    if (values["accept-unreadable"] === true) acceptNow(ctx, dest);
    say("convert");
    code = await convert.run(sub, values, []);
    if (ctx.signal.aborted) return EXIT.interrupted;
    const convertAttention = code === EXIT.attention;
    if (code !== EXIT.ok && (code !== EXIT.attention || withWorkspace(dest, latestConvertRealFailures) > 0)) {
      return stop(ctx, "convert", code, `the failures listed above (archive convert -C ${dest} --json has them all)`);
    }
    // convert has just written the manifest; the manifest stage only adds the BagIt bag
    if (values.bagit === true) {
      say("manifest");
      code = await manifest.run(sub, values, []);
      if (code !== EXIT.ok) return stop(ctx, "manifest", code, "the manifest errors above");
      if (ctx.signal.aborted) return EXIT.interrupted;
    }
    say("verify");
    code = await verify.run(sub, values, []);
    if (code > EXIT.attention || ctx.signal.aborted) return stop(ctx, "verify", code, `the verify report above (archive verify -C ${dest} --json)`);
    return verdict(ctx, dest, convertAttention || code === EXIT.attention);
  },
});

export default command;

/** Run `fn` on the workspace catalog (opened read-only when the folder is not writable), closing it after. */
function withWorkspace<T>(dest: string, fn: (cat: Catalog) => T): T {
  const ws = openWorkspace(dest, { readOnly: "auto" });
  try {
    return fn(ws.catalog);
  } finally {
    ws.close();
  }
}

/** --accept-unreadable in run: accepted right after plan, so convert and verify see it accepted. */
function acceptNow(ctx: Context, dest: string): void {
  const ws = openWorkspace(dest);
  try {
    const accepted = acceptAll(ws.catalog);
    if (accepted.total && !ctx.opts.json) ctx.out(acceptedLines(accepted).join("\n"));
  } finally {
    ws.close();
  }
}

/** The closing line says what is true: ready only when every item is archived or accepted and verify passed. */
function verdict(ctx: Context, dest: string, attention: boolean): number {
  const { open, summary } = withWorkspace(dest, (cat) => ({ open: unresolvedNow(cat, 0).total, summary: lastRun(cat, "verify")?.summary }));
  const say = (text: string) => (ctx.opts.json ? ctx.err(text) : ctx.out(text));
  if (summary && !summary.ok) return stop(ctx, "verify", EXIT.attention, `the verify report above (archive verify -C ${dest} --json)`);
  if (attention || open > 0) {
    const why = [
      ...(open ? [`${open} unreadable or skipped source ${open === 1 ? "entry is" : "entries are"} unresolved (fix, or accept with --accept-unreadable)`] : []),
      ...(attention && !open ? ["convert or verify reported something to look at (above)"] : []),
    ];
    say(kleur.red(`\nThe archive in ${dest} is NOT ready for offsite backup: ${why.join("; ")}.`));
    return EXIT.attention;
  }
  const pending = summary?.notConvertedYet ?? 0;
  if (pending) {
    say(kleur.yellow(`\nThe selection is archived and verified; ${pending} items are not converted yet (outside --year/--from/--to/--kind/--album). Not ready for offsite backup until they are.`));
    return EXIT.ok;
  }
  say(kleur.green(`\nAll stages passed. The archive in ${dest} is ready for offsite backup.`));
  return EXIT.ok;
}

function stop(ctx: Context, stage: string, code: number, where: string): number {
  ctx.err(kleur.red(`archive run: stopped at ${stage} (exit ${code}). Look at ${where}.`));
  return code;
}
