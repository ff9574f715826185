import { parseArgs, type ParseArgsConfig } from "node:util";
import kleur from "kleur";
import { ArchiveError, reasonOf } from "@archive/core";
import { makeContext, type Context, type GlobalOptions } from "./context.js";

/** Exit codes: 0 all good, 1 some files failed or a check failed, 2 usage, 3 the run could not proceed, 130 interrupted. */
export const EXIT = { ok: 0, failures: 1, usage: 2, fatal: 3, interrupted: 130 } as const;

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Command {
  summary: string;
  usage: string;
  help: string;
  options: Options;
  /** Runs the command; returns the exit code. */
  run(ctx: Context, values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

const GLOBAL_OPTIONS: Options = {
  dir: { type: "string", short: "C" },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  "no-color": { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

/** Commands, each lazy-loaded from ./commands/NAME.ts. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  plan: async () => (await import("./commands/plan.js")).default,
  convert: async () => (await import("./commands/convert.js")).default,
  manifest: async () => (await import("./commands/manifest.js")).default,
  verify: async () => (await import("./commands/verify.js")).default,
  dedupe: async () => (await import("./commands/dedupe.js")).default,
  report: async () => (await import("./commands/report.js")).default,
  run: async () => (await import("./commands/run.js")).default,
};

const SUMMARIES: Record<string, string> = {
  plan: "scan a library into the workspace: counts, years, sizes, estimate, batches",
  convert: "HEIC->JPEG, HEVC/HDR->H.264 MP4, the rest copied; metadata carried over",
  manifest: "SHA-256 of every archived file: manifest-sha256.txt (sha256sum -c), optional BagIt bag",
  verify: "prove the archive: SHA-256 fixity, completeness, metadata parity, decode/playback",
  dedupe: "exact duplicates by checksum: report, or link/quarantine archive copies (never delete)",
  report: "one offline HTML page: timeline, bytes, results, failures, duplicates, spot-check thumbnails",
  run: "all stages: plan -> convert -> manifest -> verify, stopping at the first that fails",
};

function mainHelp(): string {
  const names = Object.keys(COMMANDS);
  const w = Math.max(...names.map((n) => n.length));
  return `archive: turn an iCloud Photos export into an archive any computer can open,
checksummed, without unintended duplicates, and proven intact.

Usage: archive <command> [options]

Commands:
${names.map((n) => `  ${n.padEnd(w)}  ${SUMMARIES[n] ?? ""}`).join("\n")}

Global options:
  -C, --dir DIR   the workspace (destination) folder; default: found from the current folder
  --json          machine-readable output on stdout (progress goes nowhere)
  -q, --quiet     no progress
  -h, --help      help for a command: archive <command> --help

Workflow:
  archive plan ~/iCloud-Export      scan, catalog, estimate size/time by year, batch plan
  archive convert --year 2019       HEIC->JPEG, HEVC->H.264 MP4, metadata carried over
  archive verify                    SHA-256 fixity, metadata parity, decode/playback checks
  archive dedupe                    exact duplicates by checksum, safe actions only
  archive run ~/iCloud-Export       all stages, stopping at the first that fails

Exit codes: 0 all good, 1 some files failed or a check failed, 2 usage error,
3 the run could not proceed (no workspace, tool missing, disk full), 130 interrupted.`;
}

function commandHelp(name: string, cmd: Command): string {
  return `archive ${name}: ${cmd.summary}\n\nUsage: ${cmd.usage}\n\n${cmd.help.trim()}\n\nGlobal options: -C DIR, --json, -q, -h (see archive --help)`;
}

/** The CLI entry point: the only place in the project that exits the process. */
export async function main(argv: string[]): Promise<void> {
  const code = await runCli(argv);
  process.exitCode = code;
}

/** Parse, dispatch and map errors to exit codes (exported for tests). */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(mainHelp() + "\n");
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === "--version" || name === "-V") {
    process.stdout.write("archive 0.1.0\n");
    return EXIT.ok;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`archive: unknown command "${name}". See archive --help.\n`);
    return EXIT.usage;
  }
  // Ctrl-C is ours from here on: it stops the run cleanly instead of killing the process.
  const controller = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(EXIT.interrupted); // second Ctrl-C: leave now
    interrupted = true;
    process.stderr.write("\narchive: stopping after the files in progress (Ctrl-C again to quit now)...\n");
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  try {
    return await dispatch(name, load, rest, controller, () => interrupted);
  } finally {
    process.removeListener("SIGINT", onSigint);
    process.removeListener("SIGTERM", onSigint);
  }
}

async function dispatch(
  name: string,
  load: () => Promise<Command>,
  rest: string[],
  controller: AbortController,
  wasInterrupted: () => boolean,
): Promise<number> {
  const cmd = await load();
  if (wasInterrupted()) return EXIT.interrupted;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...cmd.options }, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`archive ${name}: ${reasonOf(err).replace(/^ERR_PARSE_ARGS_[A-Z_]+: /, "")}\nUsage: ${cmd.usage}\n`);
    return EXIT.usage;
  }
  const v = parsed.values as Record<string, unknown>;
  if (v.help) {
    process.stdout.write(commandHelp(name, cmd) + "\n");
    return EXIT.ok;
  }
  const opts: GlobalOptions = {
    cwd: process.cwd(),
    dir: typeof v.dir === "string" ? v.dir : process.env.ARCHIVE_DIR,
    json: v.json === true,
    quiet: v.quiet === true,
    color: v["no-color"] !== true && process.stdout.isTTY === true && !process.env.NO_COLOR,
  };
  kleur.enabled = opts.color;
  const ctx = makeContext(opts, controller.signal);
  try {
    const code = await cmd.run(ctx, v, parsed.positionals);
    ctx.progress.clear();
    if (wasInterrupted()) {
      process.stderr.write(`archive: interrupted. Everything finished so far is recorded; run the same command again to resume.\n`);
      return EXIT.interrupted;
    }
    return code;
  } catch (err) {
    ctx.progress.clear();
    if (wasInterrupted() || (err instanceof ArchiveError && err.code === "E_ABORTED")) {
      process.stderr.write(`archive: interrupted. Everything finished so far is recorded; run the same command again to resume.\n`);
      return EXIT.interrupted;
    }
    if (err instanceof ArchiveError) {
      const msg = `archive ${name}: ${err.message}`;
      if (opts.json) process.stdout.write(JSON.stringify({ error: { code: err.code, message: err.message } }) + "\n");
      process.stderr.write((opts.color ? kleur.red(msg) : msg) + "\n");
      return err.code === "E_USAGE" ? EXIT.usage : EXIT.fatal;
    }
    process.stderr.write(`archive ${name}: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    return EXIT.fatal;
  }
}
