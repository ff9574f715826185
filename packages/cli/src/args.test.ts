import { describe, expect, it } from "vitest";
import { checkDateRange, checkPositionals, glueNegativeValues, parseCommandLine, parseDate, parseIntOption, parseSize } from "./args.js";
import type { Options } from "./command.js";

const OPTS = {
  year: { kind: "int", min: 1800, max: 2200, help: "" },
  from: { kind: "date", help: "" },
  to: { kind: "date", help: "" },
  jobs: { kind: "int", short: "j", min: 1, max: 64, help: "" },
  kind: { kind: "choice", choices: ["photo", "video", "live"], help: "" },
  "batch-size": { kind: "size", help: "" },
  "keep-path": { kind: "list", help: "" },
  "dry-run": { kind: "boolean", short: "n", help: "" },
} as const satisfies Options;

/** The message of the usage error `fn` throws. */
function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect((err as { code?: string }).code).toBe("E_USAGE");
    return (err as Error).message;
  }
  throw new Error("expected a usage error, got none");
}

describe("parseCommandLine", () => {
  it("returns typed values: numbers, dates, sizes, lists, flags", () => {
    const r = parseCommandLine(
      ["--year", "2019", "--from", "2019-02-28", "-j", "4", "--batch-size", "1.5GB", "--keep-path", "a", "--keep-path", "b", "-n", "--kind", "live"],
      OPTS,
    );
    expect(r.values).toEqual({ year: 2019, from: "2019-02-28", jobs: 4, "batch-size": 1.5e9, "keep-path": ["a", "b"], "dry-run": true, kind: "live" });
    expect(r.args).toEqual([]);
  });

  it("refuses a stray positional argument on a command that takes none (archive convert --dry-run 2019)", () => {
    expect(usageError(() => parseCommandLine(["--dry-run", "2019"], OPTS))).toMatch(/unexpected argument "2019"/);
  });

  it("honours the positional count of a command (run needs exactly one SOURCE)", () => {
    const spec = { name: "SOURCE", min: 1, max: 1 };
    expect(parseCommandLine(["lib"], OPTS, spec).args).toEqual(["lib"]);
    expect(usageError(() => parseCommandLine([], OPTS, spec))).toMatch(/missing SOURCE/);
    expect(usageError(() => parseCommandLine(["a", "b"], OPTS, spec))).toMatch(/unexpected argument "b" \(at most 1 SOURCE\)/);
    expect(parseCommandLine(["a", "b", "c"], OPTS, { name: "SOURCE" }).args).toEqual(["a", "b", "c"]);
  });

  it("names an impossible date precisely", () => {
    expect(usageError(() => parseCommandLine(["--from", "2019-13-45"], OPTS))).toBe('--from: "2019-13-45" is not a date: there is no month 13');
    expect(usageError(() => parseCommandLine(["--to", "2019-02-29"], OPTS))).toBe('--to: "2019-02-29" is not a date: 2019-02 has 28 days');
    expect(parseCommandLine(["--to", "2020-02-29"], OPTS).values.to).toBe("2020-02-29");
    expect(usageError(() => parseCommandLine(["--from", "2019/01/01"], OPTS))).toMatch(/expected a date YYYY-MM-DD/);
  });

  it("says a negative number is out of range instead of 'argument is ambiguous'", () => {
    expect(usageError(() => parseCommandLine(["--jobs", "-1"], OPTS))).toBe('--jobs: expected a whole number from 1 to 64, got "-1"');
    expect(usageError(() => parseCommandLine(["-j", "-3"], OPTS))).toMatch(/--jobs: expected a whole number from 1 to 64, got "-3"/);
    expect(usageError(() => parseCommandLine(["--jobs", "2.5"], OPTS))).toMatch(/got "2.5"/);
    expect(usageError(() => parseCommandLine(["--jobs", "0x10"], OPTS))).toMatch(/got "0x10"/);
  });

  it("refuses unknown options and choices outside the list", () => {
    expect(usageError(() => parseCommandLine(["--yaer", "2019"], OPTS))).toMatch(/--yaer/);
    expect(usageError(() => parseCommandLine(["--kind", "raw"], OPTS))).toBe('--kind: expected photo, video or live, got "raw"');
  });

  it("accepts the global options on every command", () => {
    const r = parseCommandLine(["-C", "dest", "--json", "-q", "--no-color"], OPTS);
    expect(r.values).toEqual({ dir: "dest", json: true, quiet: true, "no-color": true });
  });

  it("does not check values when --help is asked for (help always works)", () => {
    expect(parseCommandLine(["--jobs", "nope", "--help", "stray"], OPTS).values.help).toBe(true);
  });
});

describe("the value checks", () => {
  it("parseSize: decimal units, zero refused", () => {
    expect(parseSize("50GB", "--batch-size")).toBe(50e9);
    expect(parseSize("500m", "--batch-size")).toBe(500e6);
    expect(parseSize("1000000", "--batch-size")).toBe(1e6);
    expect(usageError(() => parseSize("0", "--batch-size"))).toMatch(/above zero/);
    expect(usageError(() => parseSize("-5GB", "--batch-size"))).toMatch(/expected a size/);
  });

  it("parseIntOption: bounds inclusive", () => {
    expect(parseIntOption("0", "--sample", 0, 1000)).toBe(0);
    expect(parseIntOption(undefined, "--sample")).toBeUndefined();
    expect(usageError(() => parseIntOption("1001", "--sample", 0, 1000))).toMatch(/from 0 to 1000/);
  });

  it("parseDate: leap years and month lengths", () => {
    expect(parseDate("2000-02-29", "--from")).toBe("2000-02-29");
    expect(usageError(() => parseDate("1900-02-29", "--from"))).toMatch(/has 28 days/);
    expect(usageError(() => parseDate("2019-04-31", "--from"))).toMatch(/2019-04 has 30 days/);
    expect(usageError(() => parseDate("2019-00-10", "--from"))).toMatch(/no month 0/);
  });

  it("checkDateRange: a reversed range is a usage error, an equal one is a day", () => {
    expect(usageError(() => checkDateRange("2020-01-01", "2019-01-01"))).toBe("--from 2020-01-01 is after --to 2019-01-01: the range selects nothing (swap them?)");
    expect(() => checkDateRange("2019-05-05", "2019-05-05")).not.toThrow();
    expect(() => checkDateRange(undefined, "2019-05-05")).not.toThrow();
  });

  it("glueNegativeValues: only for options that take a value", () => {
    expect(glueNegativeValues(["--jobs", "-1", "-n", "-2"], OPTS)).toEqual(["--jobs=-1", "-n", "-2"]);
    expect(glueNegativeValues(["-j", "-1"], OPTS)).toEqual(["-j-1"]);
  });

  it("checkPositionals: none allowed without a spec", () => {
    expect(() => checkPositionals([], undefined)).not.toThrow();
    expect(usageError(() => checkPositionals(["x"], undefined))).toMatch(/takes options only/);
  });
});

describe("parseArgs messages, said plainly", () => {
  it.each([
    ["an option without its value before another option", ["--album", "-C", "ws"], /^--album needs a value/],
    ["an option without its value at the end", ["--album"], /^--album needs a value$/],
    ["an unknown option", ["--bogus"], /^unknown option --bogus$/],
  ])("%s", (_label, argv, want) => {
    expect(() => parseCommandLine(argv, { album: { kind: "string", help: "x" } })).toThrow(want);
  });
});

