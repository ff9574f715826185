// Help text, derived from the command definitions (command.ts): nothing here is written twice.
import { GLOBAL_OPTIONS, type Command, type Options } from "./command.js";

/** The exit codes, documented once (README.md repeats this list). */
export const EXIT_CODES_HELP = `Exit codes (the same for every command, archive run and npm run demo):
  0    all good: every item is archived, or has an accepted reason (--accept-unreadable)
  1    something to look at: a file failed or a check failed in this run, or something is
       still unresolved (e.g. an unreadable source file nobody has accepted yet)
  2    usage error (unknown option, stray argument, impossible date, negative number)
  3    the run could not proceed (no workspace, tool missing, disk full)
  130  interrupted (Ctrl-C); run the same command again to resume`;

/** `--name V` / `-x, --name V` as shown in the options table. */
export function optionLabel(name: string, spec: Options[string]): string {
  const value = spec.kind === "boolean" ? "" : ` ${spec.value ?? (spec.kind === "date" ? "DATE" : spec.kind === "int" ? "N" : "VALUE")}`;
  return `${spec.short ? `-${spec.short}, ` : "    "}--${name}${value}`;
}

/** An aligned options table, one option per line (hidden options left out). */
export function optionsTable(options: Options): string[] {
  const rows = Object.entries(options)
    .filter(([, spec]) => !spec.hidden)
    .map(([name, spec]) => [optionLabel(name, spec), spec.help] as const);
  const w = Math.max(0, ...rows.map(([label]) => label.length));
  return rows.map(([label, help]) => `  ${label.padEnd(w)}  ${help}`);
}

/** The usage line: archive NAME [ARGS] [options]. */
export function usageLine(cmd: Command): string {
  const a = cmd.args;
  const args = !a ? "" : (a.min ?? 0) > 0 ? ` ${a.name}${a.max === 1 ? "" : "..."}` : ` [${a.name}${a.max === 1 ? "" : "..."}]`;
  return `archive ${cmd.name}${args}${Object.keys(cmd.options).length ? " [options]" : ""}`;
}

/** `archive NAME --help`. */
export function commandHelp(cmd: Command): string {
  const lines = [`archive ${cmd.name}: ${cmd.summary}`, "", `Usage: ${usageLine(cmd)}`, "", cmd.description.trim()];
  const table = optionsTable(cmd.options);
  if (table.length) lines.push("", "Options:", ...table);
  if (cmd.notes) lines.push("", cmd.notes.trim());
  lines.push("", "Global options: -C DIR, --json, -q, --no-color, -h (see archive --help). Exit codes: see archive --help.");
  return lines.join("\n");
}

/** `archive --help`: every command's summary, in the registry's (workflow) order. */
export function mainHelp(commands: readonly Command[]): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return [
    "archive: turn an iCloud Photos export into an archive any computer can open,",
    "checksummed, without unintended duplicates, and proven intact.",
    "",
    "Usage: archive <command> [options]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    "",
    "Global options:",
    ...optionsTable(GLOBAL_OPTIONS),
    "",
    "Workflow:",
    "  archive plan ~/iCloud-Export      scan, catalog, estimate size/time by year, batch plan",
    "  archive convert --year 2019       HEIC->JPEG, HEVC->H.264 MP4, metadata carried over",
    "  archive verify                    SHA-256 fixity, metadata parity, decode/playback checks",
    "  archive dedupe                    exact duplicates by checksum, safe actions only",
    "  archive run ~/iCloud-Export       all stages, stopping at the first that fails",
    "",
    "A source file that cannot be read keeps every command at exit 1 until it is fixed, or",
    "accepted as lost with `archive verify --accept-unreadable` (recorded, shown in the report).",
    "",
    EXIT_CODES_HELP,
  ].join("\n");
}
