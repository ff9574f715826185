#!/usr/bin/env node
// Benchmark (issue 11): `archive verify --at` on a folder copy vs `sha256sum -c` run in parallel on
// the copy (one per core); `archive protect` vs plain `par2 create` and `archive repair` vs plain
// `par2 repair` on the same files with the same parameters. Ratios come from the same run.
//
//   npx turbo run build && node bench/handoff.mjs [--gb 0.6] [--runs 3] [--dir /tmp/archive-bench-handoff]
//
// The tree (random bytes, never in the repo) is a workspace's payload: 3 MiB files in four year
// folders, a manifest-sha256.txt and a hash cache as `archive manifest` leaves them; the copy is a
// second folder. protect/repair run the built CLI and the plain par2 commands under GNU time, so
// wall and CPU seconds (user + sys, children included) are both reported: on this shared 2-core
// machine wall time swings with the load, CPU time does not.
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, cpSync, mkdirSync, openSync, readSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { openWorkspace, protectionSets, removeProtectionSet, storeFileHash } from "@archive/core";
import { checkCopy } from "@archive/verify";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    gb: { type: "string", default: "0.6" },
    runs: { type: "string", default: "3" },
    dir: { type: "string", default: "/tmp/archive-bench-handoff" },
  },
});
const FILE = 3 * 1024 * 1024;
const COUNT = Math.ceil((Number(values.gb) * 1e9) / FILE);
const RUNS = Number(values.runs);
const base = resolve(values.dir);
if (!base.startsWith("/tmp/")) throw new Error("the bench tree lives under /tmp only");
const ws = join(base, "ws");
const copy = join(base, "copy");
const YEARS = [2016, 2017, 2018, 2019];

const rels = [];
function makeTree() {
  rmSync(base, { recursive: true, force: true });
  let manifest = "";
  for (let i = 0; i < COUNT; i++) {
    const rel = `converted/${YEARS[i % YEARS.length]}/IMG_${String(i).padStart(5, "0")}.jpg`;
    mkdirSync(join(ws, rel, ".."), { recursive: true });
    const buf = randomBytes(FILE);
    writeFileSync(join(ws, rel), buf);
    manifest += `${createHash("sha256").update(buf).digest("hex")}  ${rel}\n`;
    rels.push(rel);
  }
  writeFileSync(join(ws, "manifest-sha256.txt"), manifest);
  const w = openWorkspace(ws, { create: true, lock: false });
  try {
    // the hash cache as `archive manifest` leaves it (protect trusts unchanged files by identity)
    for (const line of manifest.trim().split("\n")) {
      const rel = line.slice(66);
      const st = statSync(join(ws, rel));
      storeFileHash(w.catalog, rel, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino }, line.slice(0, 64));
    }
  } finally {
    w.close();
  }
  cpSync(ws, copy, { recursive: true });
  rmSync(join(copy, ".archive"), { recursive: true, force: true });
}

const time = async (fn) => {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
};
const sh = (cmd, cwd) => {
  const r = spawnSync("bash", ["-c", cmd], { cwd, stdio: ["ignore", "ignore", "pipe"] });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const withWs = async (fn) => {
  const w = openWorkspace(ws, { lock: false });
  try {
    return await fn(w);
  } finally {
    w.close();
  }
};
function flip(path) {
  const fd = openSync(path, "r+");
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, 12345);
  b[0] ^= 0x40;
  writeSync(fd, b, 0, 1, 12345);
  closeSync(fd);
}

async function benchVerifyAt() {
  const cores = availableParallelism();
  sh("cat converted/*/* > /dev/null", copy); // warm
  const ours = [];
  const theirs = [];
  for (let i = 0; i < RUNS; i++) {
    ours.push(await time(() => withWs(async (w) => {
      const r = await checkCopy({ workspace: ws, catalog: w.catalog, at: copy });
      if (!r.ok) throw new Error("the copy should pass");
    })));
    // sha256sum -c in parallel: the manifest split into one part per core
    theirs.push(await time(async () => sh(`split -n l/${cores} ${join(ws, "manifest-sha256.txt")} /tmp/handoff-part. && ls /tmp/handoff-part.* | xargs -P ${cores} -n 1 sha256sum -c --quiet && rm -f /tmp/handoff-part.*`, copy)));
  }
  return { ours: median(ours), theirs: median(theirs) };
}

/** Run a command under GNU time: wall seconds and CPU seconds (user + sys, children included). */
function timed(cmd, args) {
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %e %U %S", cmd, ...args], { cwd: base, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${cmd} ${args.slice(0, 3).join(" ")}: ${r.stderr}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]) };
}
const archive = (...args) => timed(process.execPath, [join(repo, "packages/cli/bin/archive.js"), ...args, "-C", ws, "-q"]);
const plainPar2 = (lines) => timed("bash", ["-c", lines.join(" && ")]);
const faster = (a, b) => ({ wall: Math.min(a.wall, b.wall), cpu: Math.min(a.cpu, b.cpu) });

async function resetProtection() {
  rmSync(join(ws, "protection"), { recursive: true, force: true });
  await withWs(async (w) => protectionSets(w.catalog).forEach((s) => removeProtectionSet(w.catalog, s.id)));
}

/** `archive protect` vs plain `par2 create` of the same sets, 3 rounds in alternating order; the fastest of each counts. */
async function benchProtect() {
  await resetProtection();
  const ours = [archive("protect", "--redundancy", "10%")];
  const sets = await withWs(async (w) => protectionSets(w.catalog));
  const plainDir = join(base, "plain");
  const cmds = sets.map((s) => {
    const files = rels.filter((r) => r.split("/")[1] === s.batch).map((r) => join(ws, r));
    return `par2 create -q -q -r10 -s${s.blockSize} -n1 -B${ws} -- ${join(plainDir, `${s.batch}.par2`)} ${files.join(" ")}`;
  });
  const plain = () => {
    rmSync(plainDir, { recursive: true, force: true });
    mkdirSync(plainDir, { recursive: true });
    return plainPar2(cmds);
  };
  const oursAgain = async () => {
    await resetProtection();
    return archive("protect", "--redundancy", "10%");
  };
  const theirs = [plain(), plain()];
  ours.push(await oursAgain(), await oursAgain());
  theirs.push(plain());
  const best = (xs) => xs.reduce(faster);
  return { ours: best(ours), theirs: best(theirs), sets };
}

/** `archive repair` (finds the damage by the manifest, runs that set) vs `par2 repair` of every set. */
async function benchRepair(sets) {
  const year = String(YEARS[0]);
  const victims = rels.filter((r) => r.split("/")[1] === year).slice(0, 2).map((r) => join(ws, r));
  victims.forEach(flip);
  const ours = archive("repair");
  rmSync(join(ws, ".archive", "damaged"), { recursive: true, force: true });
  victims.forEach(flip);
  const theirs = plainPar2(sets.map((s) => `par2 repair -q -q -B${ws} -- ${join(base, "plain", `${s.batch}.par2`)}`));
  for (const v of victims) rmSync(`${v}.1`, { force: true });
  return { ours, theirs };
}

console.error(`generating ${COUNT} files of 3 MiB (${((COUNT * FILE) / 1e9).toFixed(2)} GB) under ${base} ...`);
makeTree();
const gb = (COUNT * FILE) / 1e9;
const v = await benchVerifyAt();
const p = await benchProtect();
const r = await benchRepair(p.sets);
const row = (name, o, t, ref) => `| ${name} | ${o.toFixed(2)} s | ${t.toFixed(2)} s (${ref}) | ${(o / t).toFixed(2)}x |`;
const row2 = (name, o, t, ref) =>
  `| ${name} | ${o.wall.toFixed(2)} s wall, ${o.cpu.toFixed(2)} s CPU | ${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU (${ref}) | ${(o.wall / t.wall).toFixed(2)}x wall, ${(o.cpu / t.cpu).toFixed(2)}x CPU |`;
console.log(`\nhand-off benchmark: ${COUNT} files, ${gb.toFixed(2)} GB, ${availableParallelism()} cores, load ${loadavg()[0].toFixed(1)}; verify: median of ${RUNS}; protect: fastest of 3 alternating runs; repair: 1 run. CPU = user + sys of the command and its children (GNU time)\n`);
console.log("| task | archive | reference | ratio |\n|---|---|---|---|");
console.log(row("verify --at FOLDER", v.ours, v.theirs, "sha256sum -c, one per core"));
console.log(row2("protect (10%, per year)", p.ours, p.theirs, "par2 create, same sets and block size"));
console.log(row2("repair (2 damaged files)", r.ours, r.theirs, "par2 repair of every set"));
rmSync(base, { recursive: true, force: true });
