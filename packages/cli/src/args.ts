// The one place command-line text becomes typed values: every option of every command is
// checked here against its OptionSpec, so a command's `run` never sees a raw string.
import { parseArgs } from "node:util";
import { ArchiveError } from "@archive/core";
import { GLOBAL_OPTIONS, type ArgsSpec, type OptionSpec, type Options } from "./command.js";

const usage = (message: string) => new ArchiveError("E_USAGE", message);

/** "50GB", "500M", "1.5T", "1000000" -> bytes (decimal units, like disk vendors and df -H). */
export function parseSize(raw: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(raw);
  if (!m) throw usage(`${flag}: expected a size like 50GB or 500MB, got "${raw}"`);
  const mult = { "": 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g" | "t"];
  const bytes = Math.round(Number(m[1]) * mult);
  if (bytes <= 0) throw usage(`${flag}: expected a size above zero, got "${raw}"`);
  return bytes;
}

/** A whole number in [min, max], or a usage error naming the flag. */
export function parseIntOption(raw: unknown, flag: string, min = 1, max = 1024): number | undefined {
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const n = /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw usage(`${flag}: expected a whole number from ${min} to ${max}, got "${String(raw)}"`);
  return n;
}

/** Days in a month of a year (Gregorian calendar). */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** A real calendar date YYYY-MM-DD (2019-02-29 and 2019-13-45 are usage errors). */
export function parseDate(raw: string, flag: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
  if (!m) throw usage(`${flag}: expected a date YYYY-MM-DD, got "${raw}"`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12) throw usage(`${flag}: "${raw}" is not a date: there is no month ${mo}`);
  if (d < 1 || d > daysInMonth(y, mo)) throw usage(`${flag}: "${raw}" is not a date: ${y}-${m[2]} has ${daysInMonth(y, mo)} days`);
  return raw;
}

/** --from after --to selects nothing: say so instead of silently doing nothing. */
export function checkDateRange(from: string | undefined, to: string | undefined): void {
  if (from !== undefined && to !== undefined && from > to) {
    throw usage(`--from ${from} is after --to ${to}: the range selects nothing (swap them?)`);
  }
}

/** One option's raw text -> its typed value, or a usage error naming the flag. */
export function normaliseOption(name: string, spec: OptionSpec, raw: unknown): unknown {
  const flag = `--${name}`;
  switch (spec.kind) {
    case "boolean":
    case "list":
      return raw;
    case "int":
      return parseIntOption(raw, flag, spec.min ?? 1, spec.max ?? 1024);
    case "date":
      return parseDate(String(raw), flag);
    case "size":
      return parseSize(String(raw), flag);
    case "choice": {
      const choices = spec.choices ?? [];
      if (!choices.includes(String(raw))) throw usage(`${flag}: expected ${orList(choices)}, got "${String(raw)}"`);
      return raw;
    }
    case "string":
      return raw;
  }
}

function orList(words: readonly string[]): string {
  return words.length <= 1 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
}

/**
 * `--jobs -1` would read "-1" as an option ("argument is ambiguous"); glue a value that looks like
 * a negative number to its option (`--jobs=-1`) so the option's own check names the problem.
 */
export function glueNegativeValues(argv: readonly string[], options: Options): string[] {
  const takesValue = new Set<string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.kind === "boolean") continue;
    takesValue.add(`--${name}`);
    if (spec.short) takesValue.add(`-${spec.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (takesValue.has(a) && next !== undefined && /^-\d/.test(next)) {
      out.push(a.startsWith("--") ? `${a}=${next}` : `${a}${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Check the count of positional arguments against the command's ArgsSpec. */
export function checkPositionals(args: readonly string[], spec: ArgsSpec | undefined): void {
  const min = spec?.min ?? 0;
  const max = spec ? (spec.max ?? Infinity) : 0;
  if (args.length > max) {
    const extra = args.slice(max).map((a) => `"${a}"`).join(" ");
    throw usage(max === 0 ? `unexpected argument ${extra} (this command takes options only)` : `unexpected argument ${extra} (at most ${max} ${spec!.name})`);
  }
  if (args.length < min) throw usage(`missing ${spec!.name}${min > 1 ? ` (at least ${min})` : ""}`);
}

/**
 * A single-value option given twice (`--year 2011 --year 2021`) would silently keep only the
 * last one: a usage error instead. Repeatable options (kind "list") and flags are fine.
 */
export function checkRepeated(tokens: readonly { kind: string; name?: string; value?: string | undefined }[], options: Options): void {
  const seen = new Map<string, string>();
  for (const t of tokens) {
    if (t.kind !== "option" || t.name === undefined) continue;
    const spec = options[t.name];
    if (!spec || spec.kind === "boolean" || spec.kind === "list") continue;
    const before = seen.get(t.name);
    if (before !== undefined) {
      throw usage(`--${t.name} was given twice ("${before}" and "${t.value ?? ""}"): it takes one value`);
    }
    seen.set(t.name, t.value ?? "");
  }
}

/** A parsed command line: typed option values and positional arguments. */
export interface ParsedLine {
  values: Record<string, unknown>;
  args: string[];
}

/**
 * Parse `argv` (what follows the command name) against the global options and the command's own:
 * unknown options, bad values, stray or missing positionals are usage errors (ArchiveError E_USAGE).
 * With --help, values are not checked (help must always work).
 */
/** node's parseArgs messages, said plainly: a missing value and an unknown option name the flag. */
export function parseArgsMessage(raw: string): string {
  const msg = raw.replace(/^ERR_PARSE_ARGS_[A-Z_]+: /, "");
  const ambiguous = /^Option '(-[^' ]+)(?: <value>)?' argument is ambiguous/.exec(msg);
  if (ambiguous) return `${ambiguous[1]} needs a value (the next word starts with "-"; write ${ambiguous[1]}=VALUE for a value that does)`;
  const missing = /^Option '(-[^' ]+)(?: <value>)?' argument missing/.exec(msg);
  if (missing) return `${missing[1]} needs a value`;
  const unknown = /^Unknown option '([^']+)'/.exec(msg);
  if (unknown) return `unknown option ${unknown[1]}`;
  return msg.split("\n")[0]!;
}

export function parseCommandLine(argv: readonly string[], options: Options, args?: ArgsSpec): ParsedLine {
  const all: Options = { ...GLOBAL_OPTIONS, ...options };
  const config: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(all)) {
    config[name] = {
      type: spec.kind === "boolean" ? "boolean" : "string",
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.kind === "list" ? { multiple: true } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: glueNegativeValues(argv, all), options: config, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    throw usage(parseArgsMessage(String(err instanceof Error ? err.message : err)));
  }
  const raw = parsed.values as Record<string, unknown>;
  if (raw.help === true) return { values: raw, args: parsed.positionals };
  checkRepeated(parsed.tokens, all);
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) values[name] = normaliseOption(name, all[name]!, value);
  }
  checkPositionals(parsed.positionals, args);
  return { values, args: parsed.positionals };
}
