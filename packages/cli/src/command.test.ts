import { describe, expect, it } from "vitest";
import { GLOBAL_OPTIONS, type Command, type OptionSpec } from "./command.js";
import { commandHelp, mainHelp, optionsTable, usageLine } from "./help.js";
import { COMMANDS, loadCommands } from "./index.js";
import { parseCommandLine } from "./args.js";

const commands: Command[] = await loadCommands();

describe("command definitions", () => {
  it("are registered under their own name, in workflow order", () => {
    expect(commands.map((c) => c.name)).toEqual(Object.keys(COMMANDS));
    const core = ["plan", "convert", "manifest", "verify", "dedupe", "report", "run"];
    expect(Object.keys(COMMANDS).filter((n) => core.includes(n))).toEqual(core);
  });

  it.each(Object.keys(COMMANDS))("%s: every option has help, a known kind, and no clash with the global options", (name) => {
    const cmd = commands.find((c) => c.name === name)!;
    expect(cmd.summary.length).toBeGreaterThan(10);
    expect(cmd.description.trim().length).toBeGreaterThan(10);
    const globalShorts = new Set<string>(Object.values(GLOBAL_OPTIONS).flatMap((o) => ("short" in o ? [o.short] : [])));
    const shorts = new Set<string>();
    for (const [opt, spec] of Object.entries(cmd.options)) {
      expect(spec.help, `--${opt}`).not.toBe("");
      expect(Object.keys(GLOBAL_OPTIONS)).not.toContain(opt);
      if (spec.short) {
        expect(globalShorts.has(spec.short), `-${spec.short}`).toBe(false);
        expect(shorts.has(spec.short), `-${spec.short} twice`).toBe(false);
        shorts.add(spec.short);
      }
      if (spec.kind === "choice") expect(spec.choices?.length).toBeGreaterThan(1);
    }
  });

  it.each(Object.keys(COMMANDS))("%s: help is derived from the definition (every visible option, the summary, the usage)", (name) => {
    const cmd = commands.find((c) => c.name === name)!;
    const help = commandHelp(cmd);
    expect(help.startsWith(`archive ${name}: ${cmd.summary}\n`)).toBe(true);
    expect(help).toContain(`Usage: ${usageLine(cmd)}`);
    for (const [opt, spec] of Object.entries(cmd.options)) if (!spec.hidden) expect(help).toContain(`--${opt}`);
    // the old hand-written tables are gone: each option is listed exactly once
    for (const opt of Object.keys(cmd.options)) expect(help.split(`--${opt} `).length + help.split(`--${opt}\n`).length).toBeLessThan(5);
  });

  it("the main help lists each command once with the summary from its definition, and the exit codes", () => {
    const help = mainHelp(commands);
    const w = Math.max(...commands.map((c) => c.name.length));
    for (const c of commands) expect(help.split(`\n  ${c.name.padEnd(w)}  ${c.summary}\n`).length).toBe(2);
    expect(help).toMatch(/Exit codes[^\n]*\n\s+0 /);
    expect(help).toContain("130");
    expect(help).toContain("--accept-unreadable");
  });

  it("usage lines say which positional arguments a command takes", () => {
    const byName = new Map(commands.map((c) => [c.name, c]));
    expect(usageLine(byName.get("run")!)).toBe("archive run SOURCE... [options]");
    expect(usageLine(byName.get("plan")!)).toBe("archive plan [SOURCE...] [options]");
    expect(usageLine(byName.get("verify")!)).toBe("archive verify [options]");
  });

  it("the options table aligns value names", () => {
    const t = optionsTable({ jobs: { kind: "int", short: "j", help: "items in flight" }, from: { kind: "date", help: "from" }, quick: { kind: "boolean", help: "q" } });
    expect(t).toEqual(["  -j, --jobs N     items in flight", "      --from DATE  from", "      --quick      q"]);
  });
});

describe("single-value options given twice (QA: convert --year 2011 --year 2021 used one of them)", () => {
  /** A valid value for an option of this kind. */
  const sample = (spec: Command["options"][string]): string =>
    ({ int: String(spec.min ?? 1), date: "2020-01-01", size: "1GB", choice: spec.choices?.[0] ?? "", string: "x" })[spec.kind as "int"] ?? "x";

  it("are a usage error in every command; repeatable options and flags are not", () => {
    let checked = 0;
    for (const c of commands) {
      const positional = Array.from({ length: c.args?.min ?? 0 }, () => "/tmp");
      for (const [name, spec] of Object.entries({ ...GLOBAL_OPTIONS, ...c.options })) {
        if (spec.kind === "boolean") continue;
        const v = sample(spec);
        const twice = () => parseCommandLine([...positional, `--${name}`, v, `--${name}`, v], c.options, c.args);
        if ((spec as OptionSpec).kind === "list") expect(twice, `${c.name} --${name}`).not.toThrow();
        else {
          expect(twice, `${c.name} --${name}`).toThrow(new RegExp(`--${name} was given twice`));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(() => parseCommandLine(["--year", "2011", "--year", "2021"], commands.find((c) => c.name === "convert")!.options)).toThrow(
      '--year was given twice ("2011" and "2021"): it takes one value',
    );
  });
});
