import kleur from "kleur";
import { ArchiveError } from "@archive/core";
import { EXIT, type Command, type Options, type Values } from "./command.js";
import { makeContext, type Context, type GlobalOptions } from "./context.js";
import { parseCommandLine } from "./args.js";
import { commandHelp, mainHelp, usageLine } from "./help.js";

export { EXIT, defineCommand, type Command, type CommandSpec, type OptionSpec, type Options, type Values } from "./command.js";

/**
 * The commands, in workflow order (the order of `archive --help`), each lazy-loaded from
 * ./commands/NAME.ts: a command's dependencies (sharp, workers) load only when it runs.
 */
export const COMMANDS: Record<string, () => Promise<{ default: Command }>> = {
  plan: () => import("./commands/plan.js") as Promise<{ default: Command }>,
  convert: () => import("./commands/convert.js") as Promise<{ default: Command }>,
  manifest: () => import("./commands/manifest.js") as Promise<{ default: Command }>,
  verify: () => import("./commands/verify.js") as Promise<{ default: Command }>,
  protect: () => import("./commands/protect.js") as Promise<{ default: Command }>,
  repair: () => import("./commands/repair.js") as Promise<{ default: Command }>,
  dedupe: () => import("./commands/dedupe.js") as Promise<{ default: Command }>,
  report: () => import("./commands/report.js") as Promise<{ default: Command }>,
  list: () => import("./commands/list.js") as Promise<{ default: Command }>,
  run: () => import("./commands/run.js") as Promise<{ default: Command }>,
};

/** Every command, loaded (for `archive --help` and tests). */
export async function loadCommands(): Promise<Command[]> {
  return Promise.all(Object.values(COMMANDS).map(async (load) => (await load()).default));
}

/** The CLI entry point: the only place in the project that exits the process. */
export async function main(argv: string[]): Promise<void> {
  quietOnClosedPipe();
  const code = await runCli(argv);
  process.exitCode = code;
}

/** Streams whose reader has gone (EPIPE): output to them is dropped. */
const closedStreams = new Set<NodeJS.WriteStream>();

/**
 * `archive dedupe | head -1`: the reader went away. Without a listener Node throws EPIPE with a
 * stack trace; with it, further output is dropped and the command finishes its work quietly.
 */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
      closedStreams.add(stream);
    });
  }
}

function write(stream: NodeJS.WriteStream, text: string): void {
  if (!closedStreams.has(stream)) stream.write(text);
}

/** Parse, dispatch and map errors to exit codes (exported for tests). */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    write(process.stdout, mainHelp(await loadCommands()) + "\n");
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === "--version" || name === "-V") {
    write(process.stdout, "archive 0.1.0\n");
    return EXIT.ok;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    write(process.stderr, `archive: unknown command "${name}". See archive --help.\n`);
    return EXIT.usage;
  }
  // Ctrl-C is ours from here on: it stops the run cleanly instead of killing the process.
  const controller = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(EXIT.interrupted); // second Ctrl-C: leave now
    interrupted = true;
    write(process.stderr, "\narchive: stopping after the files in progress (Ctrl-C again to quit now)...\n");
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  try {
    const cmd = (await load()).default;
    if (interrupted) return EXIT.interrupted;
    return await dispatch(cmd, rest, controller.signal, () => interrupted);
  } finally {
    process.removeListener("SIGINT", onSigint);
    process.removeListener("SIGTERM", onSigint);
  }
}

function globalOptions(v: Record<string, unknown>): GlobalOptions {
  return {
    cwd: process.cwd(),
    dir: typeof v.dir === "string" ? v.dir : process.env.ARCHIVE_DIR,
    json: v.json === true,
    quiet: v.quiet === true,
    color: v["no-color"] !== true && process.stdout.isTTY === true && !process.env.NO_COLOR,
  };
}

async function dispatch(cmd: Command, rest: string[], signal: AbortSignal, wasInterrupted: () => boolean): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(rest, cmd.options, cmd.args);
  } catch (err) {
    write(process.stderr, `archive ${cmd.name}: ${err instanceof Error ? err.message : String(err)}\nUsage: ${usageLine(cmd)} (archive ${cmd.name} --help)\n`);
    return EXIT.usage;
  }
  if (parsed.values.help === true) {
    write(process.stdout, commandHelp(cmd) + "\n");
    return EXIT.ok;
  }
  const opts = globalOptions(parsed.values);
  kleur.enabled = opts.color;
  const ctx = makeContext(opts, signal, (stream, text) => write(stream, text));
  try {
    const code = await cmd.run(ctx, parsed.values as Values<Options>, parsed.args);
    ctx.progress.clear();
    return wasInterrupted() ? interruptedExit() : code;
  } catch (err) {
    ctx.progress.clear();
    if (wasInterrupted() || (err instanceof ArchiveError && err.code === "E_ABORTED")) return interruptedExit();
    return failure(cmd, ctx, err);
  }
}

function interruptedExit(): number {
  write(process.stderr, `archive: interrupted. Everything finished so far is recorded; run the same command again to resume.\n`);
  return EXIT.interrupted;
}

function failure(cmd: Command, ctx: Context, err: unknown): number {
  if (err instanceof ArchiveError) {
    const msg = `archive ${cmd.name}: ${err.message}`;
    if (ctx.opts.json) ctx.out(JSON.stringify({ error: { code: err.code, message: err.message } }));
    ctx.err(ctx.opts.color ? kleur.red(msg) : msg);
    if (err.code === "E_USAGE") {
      ctx.err(`Usage: ${usageLine(cmd)} (archive ${cmd.name} --help)`);
      return EXIT.usage;
    }
    return EXIT.fatal;
  }
  ctx.err(`archive ${cmd.name}: internal error: ${err instanceof Error ? err.stack : String(err)}`);
  return EXIT.fatal;
}
