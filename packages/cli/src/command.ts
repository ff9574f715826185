// How a command is described: once, in one object, from which `--help`, argument parsing and
// validation are all derived (citty's defineCommand idea). Commands import this module, never
// the CLI's index, so there are no import cycles.
import type { Context } from "./context.js";

/**
 * Exit codes, one meaning for every command, `archive run` and the demo:
 * 0 every item is archived or has an accepted reason; 1 something the user must look at happened
 * in this run or is still unresolved; 2 usage error; 3 could not proceed; 130 interrupted.
 */
export const EXIT = { ok: 0, attention: 1, usage: 2, fatal: 3, interrupted: 130 } as const;

/** What kind of value an option takes; the parser checks it, so `run` gets clean values. */
export type OptionKind =
  | "boolean" // a flag
  | "string" // any text
  | "list" // repeatable text: string[]
  | "int" // a whole number in [min, max] (defaults 1..1024); negative input is a usage error
  | "date" // a real calendar date YYYY-MM-DD
  | "size" // 50GB, 500MB, 1.5T, 1000000 -> bytes (decimal units)
  | "choice"; // one of `choices`

/** One option of a command. */
export interface OptionSpec {
  kind: OptionKind;
  /** The help line, e.g. "only items captured in year Y". */
  help: string;
  /** The value's name in help, e.g. "Y" for `--year Y` (ignored for booleans). */
  value?: string;
  /** A one-letter alias, e.g. "j" for -j. */
  short?: string;
  /** Bounds for "int". */
  min?: number;
  max?: number;
  /** The allowed values for "choice". */
  choices?: readonly string[];
  /** Left out of the help table (kept working for scripts). */
  hidden?: boolean;
}

/** A command's options by long name (without the leading --). */
export type Options = Record<string, OptionSpec>;

/** The parsed type of a value of kind K (distributes over a union of kinds). */
export type KindValue<K extends OptionKind> = K extends "boolean" ? boolean : K extends "list" ? string[] : K extends "int" | "size" ? number : string;

/** The parsed type of one option's value (a choice: the union of its choices). */
export type OptionValue<S extends OptionSpec> = S extends { kind: "choice"; choices: readonly (infer C)[] } ? C : KindValue<S["kind"]>;

/** Parsed option values: only options given on the command line are present. */
export type Values<O extends Options> = { [K in keyof O]?: OptionValue<O[K]> };

/** The positional arguments a command takes (none when absent). */
export interface ArgsSpec {
  /** Its name in usage and messages, e.g. "SOURCE". */
  name: string;
  /** At least this many (default 0). */
  min?: number;
  /** At most this many (default: no limit). */
  max?: number;
}

/** One command: everything `archive NAME --help` shows and what `archive NAME` runs. */
export interface CommandSpec<O extends Options = Options> {
  /** The word after `archive`. */
  name: string;
  /** One line for `archive --help`. */
  summary: string;
  /** What the command does (the options table is generated below it). */
  description: string;
  args?: ArgsSpec;
  options: O;
  /** Text after the options table (defaults, notes). */
  notes?: string;
  /** Runs the command with validated values; returns the exit code (see EXIT). */
  run(ctx: Context, values: Values<O>, args: string[]): Promise<number>;
}

/** A command as the registry holds it. */
export type Command = CommandSpec<Options>;

/** Declare a command (identity at run time; keeps the option value types exact). */
export function defineCommand<const O extends Options>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

/** Options every command understands. */
export const GLOBAL_OPTIONS = {
  dir: { kind: "string", short: "C", value: "DIR", help: "the workspace (destination) folder; default: found from the current folder" },
  json: { kind: "boolean", help: "machine-readable output on stdout (progress goes nowhere)" },
  quiet: { kind: "boolean", short: "q", help: "no progress" },
  "no-color": { kind: "boolean", help: "no colours (also when NO_COLOR is set or stdout is not a terminal)" },
  help: { kind: "boolean", short: "h", help: "help for a command: archive <command> --help" },
} as const satisfies Options;
