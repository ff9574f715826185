#!/usr/bin/env node
// Benchmark: `archive plan` (scan into a cold catalog) vs `exiftool -r -json` over the same tree.
//
//   node bench/scan.mjs                 # 10k mixed library + 10k/50k small-file libraries
//   BENCH_SCAN_FILES=2000 BENCH_SCAN_LARGE=0 node bench/scan.mjs     # quick run
//
// Libraries are generated under $BENCH_DIR (default /tmp/archive-bench-scan; never the repo) from
// the real fixtures (../shared/fixtures/real) and sample/library: 8 date variants of every
// template (exiftool -AllDates+=N years), copied folder by folder (distinct inodes, real formats,
// the original names inside each copy so Live Photo / edit grouping works as in a real export).
// Re-runs reuse a generated library when its marker file matches. Needs exiftool and /usr/bin/time.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, cpus, totalmem } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const fixtures = resolve(root, "../shared/fixtures/real");
const sample = join(root, "sample/library");
const benchDir = process.env.BENCH_DIR ?? join(tmpdir(), "archive-bench-scan");
const N = Number(process.env.BENCH_SCAN_FILES ?? 10_000);
const LARGE = Number(process.env.BENCH_SCAN_LARGE ?? 50_000);
const VARIANTS = 8;
// the memory rows' mix: templates up to 100 KB (the sample's photos and videos, AAE, DNG, the
// corrupt files): 50,000 files stay near 1.3 GB and the runs fit in minutes on 2 cores
const SMALL_MAX = Number(process.env.BENCH_SCAN_SMALL_MAX ?? 100_000);
const archiveBin = join(root, "packages/cli/bin/archive.js");
const log = (s) => process.stderr.write(s + "\n");

if (!existsSync(fixtures)) {
  log(`bench/scan: the real fixtures are not at ${fixtures}; nothing to benchmark`);
  process.exit(process.env.CI === "true" ? 1 : 0);
}
if (spawnSync("exiftool", ["-ver"]).status !== 0 || !existsSync("/usr/bin/time")) {
  log("bench/scan: needs exiftool and /usr/bin/time (apt-get install libimage-exiftool-perl time)");
  process.exit(2);
}

function walk(dir, base = dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, base, out);
    else if (e.isFile() && e.name !== "SOURCES.md" && e.name !== "README.md") out.push(relative(base, p));
  }
  return out;
}

/** Template variants: every template file copied into v0..v7, dates shifted by k years in vk. */
function makeTemplates() {
  const dir = join(benchDir, "templates");
  const marker = join(dir, ".done");
  if (existsSync(marker)) return dir;
  rmSync(dir, { recursive: true, force: true });
  const sources = [
    ...walk(fixtures).map((r) => [join(fixtures, r), join("fixtures", r)]),
    ...walk(sample).map((r) => [join(sample, r), join("sample", r)]),
  ];
  for (let k = 0; k < VARIANTS; k++) {
    const v = join(dir, `v${k}`);
    for (const [abs, rel] of sources) {
      mkdirSync(dirname(join(v, rel)), { recursive: true });
      copyFileSync(abs, join(v, rel));
    }
    if (k > 0) {
      // corrupt files are left as they are (exiftool refuses to write them)
      spawnSync("exiftool", ["-q", "-q", "-m", "-overwrite_original", "-r", `-AllDates+=${k}:0:0 0:0:0`, `-Keys:CreationDate+=${k}:0:0 0:0:0`, v], { stdio: "ignore" });
    }
  }
  writeFileSync(marker, "ok\n");
  return dir;
}

/**
 * A library of `files` files: whole copies of variant folders (c00000/...), each copy one
 * variant, until the count is reached. `small`: only templates up to 1 MB.
 */
function makeLibrary(name, files, small, parts = 1) {
  const lib = join(benchDir, name);
  const marker = `${lib}.bench-library`;
  const want = JSON.stringify({ files, small, parts, VARIANTS, SMALL_MAX });
  if (existsSync(marker) && readFileSync(marker, "utf8") === want) return lib;
  rmSync(lib, { recursive: true, force: true });
  const templates = makeTemplates();
  const variants = [];
  for (let k = 0; k < VARIANTS; k++) {
    const v = join(templates, `v${k}`);
    variants.push(walk(v).filter((r) => !small || statSync(join(v, r)).size <= SMALL_MAX).map((r) => [join(v, r), r]));
  }
  let n = 0;
  let copy = 0;
  const perPart = Math.ceil(files / parts);
  log(`bench/scan: generating ${files} files in ${lib} ...`);
  while (n < files) {
    const part = parts > 1 ? `part${Math.min(parts - 1, Math.floor(n / perPart))}` : "";
    const set = variants[copy % VARIANTS];
    const dest = join(lib, part, `c${String(copy).padStart(5, "0")}`);
    for (const [abs, rel] of set) {
      if (n >= files) break;
      mkdirSync(dirname(join(dest, rel)), { recursive: true });
      copyFileSync(abs, join(dest, rel));
      n++;
    }
    copy++;
  }
  writeFileSync(marker, want);
  return lib;
}

function du(dir) {
  const r = spawnSync("du", ["-sb", dir], { encoding: "utf8" });
  return Number(r.stdout.split(/\s/)[0]);
}

/**
 * Run a command under /usr/bin/time: wall seconds, CPU seconds (user + sys, children included)
 * and peak RSS (MB; GNU time reports the largest process, for exiftool the Perl process).
 */
function timed(cmd, args, { stdoutTo = "/dev/null" } = {}) {
  const stats = join(benchDir, `time-${process.pid}.txt`);
  const fd = openSync(stdoutTo, "w");
  const t0 = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%e %U %S %M", "-o", stats, cmd, ...args], { stdio: ["ignore", fd, "pipe"], encoding: "utf8", maxBuffer: 1 << 26 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  closeSync(fd);
  const [, user, sys, rssKb] = readFileSync(stats, "utf8").trim().split(/\s+/).slice(-4).map(Number);
  return { wall, cpu: user + sys, rssMb: rssKb / 1024, status: r.status, stderr: r.stderr };
}

function plan(lib) {
  const ws = mkdtempSync(join(benchDir, "ws-"));
  try {
    const out = join(ws, "plan.json");
    const t = timed(process.execPath, [archiveBin, "plan", lib, "-C", ws, "--json"], { stdoutTo: out });
    if (t.status !== 0) throw new Error(`archive plan failed (${t.status}): ${t.stderr}`);
    const j = JSON.parse(readFileSync(out, "utf8"));
    const again = timed(process.execPath, [archiveBin, "plan", lib, "-C", ws, "--json"]);
    return { ...t, files: j.totals.files, read: j.scan.read, unreadable: j.unreadable.length, livePhotoPairs: j.livePhotoPairs, warmRescan: again.wall };
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}

const EXIFTOOL_ARGS = ["-r", "-json", "-q"];
function exiftool(lib) {
  return timed("exiftool", [...EXIFTOOL_ARGS, lib]);
}

function warm(lib) {
  // read every file once so both tools start from a warm page cache
  spawnSync("sh", ["-c", 'find "$1" -type f -print0 | xargs -0 cat > /dev/null', "sh", lib], { stdio: "ignore" });
}

mkdirSync(benchDir, { recursive: true });
const results = [];
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const row = (label, lib, files, withExiftool = true) => {
  if (withExiftool) warm(lib); // a warm page cache for both tools (the memory-only rows skip it)
  const load = loadavg();
  const p = plan(lib);
  const r = {
    label,
    files,
    bytes: du(lib),
    loadavgBefore: load,
    plan: {
      seconds: +p.wall.toFixed(2), cpuSeconds: +p.cpu.toFixed(2), filesPerSecond: Math.round(files / p.wall), filesPerCpuSecond: Math.round(files / p.cpu),
      peakRssMb: Math.round(p.rssMb), rescanSeconds: +p.warmRescan.toFixed(2), read: p.read, unreadable: p.unreadable, livePhotoPairs: p.livePhotoPairs,
    },
  };
  let line = `${label}: ${files} files, ${(r.bytes / 1e9).toFixed(2)} GB, load ${load} | archive plan ${r.plan.seconds} s, ${r.plan.cpuSeconds} CPU s (${r.plan.filesPerSecond} files/s; peak RSS ${r.plan.peakRssMb} MB; re-scan ${r.plan.rescanSeconds} s)`;
  if (withExiftool) {
    const e = exiftool(lib);
    r.exiftool = { seconds: +e.wall.toFixed(2), cpuSeconds: +e.cpu.toFixed(2), filesPerSecond: Math.round(files / e.wall), filesPerCpuSecond: Math.round(files / e.cpu), peakRssMb: Math.round(e.rssMb) };
    r.ratio = +(r.plan.filesPerSecond / r.exiftool.filesPerSecond).toFixed(1);
    r.cpuRatio = +(r.plan.filesPerCpuSecond / r.exiftool.filesPerCpuSecond).toFixed(1);
    line += ` | exiftool ${EXIFTOOL_ARGS.join(" ")} ${r.exiftool.seconds} s, ${r.exiftool.cpuSeconds} CPU s (${r.exiftool.filesPerSecond} files/s; ${r.exiftool.peakRssMb} MB) | ${r.ratio}x wall, ${r.cpuRatio}x CPU`;
  }
  results.push(r);
  log(line);
};

// BENCH_SCAN_EXIFTOOL=0: time archive plan only (e.g. to re-measure it without waiting for exiftool again)
row("mixed", makeLibrary(`mixed-${N}`, N, false), N, process.env.BENCH_SCAN_EXIFTOOL !== "0");
if (LARGE > 0) {
  const small = makeLibrary(`small${SMALL_MAX}-${LARGE}`, LARGE, true, Math.max(1, Math.round(LARGE / N)));
  const part0 = join(small, "part0");
  // memory as the library grows: exiftool over 50k files would take most of an hour here, so
  // these rows time archive plan only (BENCH_SCAN_EXIFTOOL_ALL=1 adds it)
  const all = process.env.BENCH_SCAN_EXIFTOOL_ALL === "1";
  row("small (one part)", existsSync(part0) ? part0 : small, walk(existsSync(part0) ? part0 : small).length, all);
  row("small (all parts)", small, LARGE, all);
}
const env = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, memGb: Math.round(totalmem() / 2 ** 30), exiftool: spawnSync("exiftool", ["-ver"], { encoding: "utf8" }).stdout.trim() };
console.log(JSON.stringify({ env, exiftoolArgs: EXIFTOOL_ARGS, results }, null, 2));
if (process.env.BENCH_KEEP !== "1") log(`bench/scan: libraries kept in ${benchDir} for re-runs (rm -rf it when done)`);
