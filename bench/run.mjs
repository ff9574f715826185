#!/usr/bin/env node
// npm run bench: every benchmark, one after another (they compete for the same 2 cores otherwise).
// Each prints a markdown table and writes its docs/benchmarks-*.md fragment; pass names to run some.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const all = ["scan", "convert", "manifest", "dedupe", "report", "handoff"];
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : all;
let failed = 0;
for (const name of chosen) {
  const file = join(here, `${name}.mjs`);
  if (!existsSync(file)) {
    console.error(`bench: no bench/${name}.mjs`);
    failed++;
    continue;
  }
  console.log(`\n## ${name}\n`);
  try {
    execFileSync(process.execPath, [file], { stdio: "inherit" });
  } catch {
    failed++;
  }
}
process.exit(failed ? 1 : 0);
