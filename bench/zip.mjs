#!/usr/bin/env node
// Zip readers side by side on parts built from the real fixtures (issue 10: "measure before you
// choose"). Builds, once, in $ZIP_BENCH_DIR (default /tmp/archive-zip-bench):
//   stored.zip    > 4 GiB of stored members (ZIP64 by offset and size), like a 40 GB Apple part
//   deflated.zip  > 65,535 deflated members (ZIP64 by count): the fixtures plus many small sidecars
//   nested-stored.zip / nested-deflated.zip: a part holding "iCloud Shared Albums.zip"
// then, per reader: open + list the central directory, stream every member with CRC-32 and
// SHA-256, one random member, peak RSS. Readers: core's ZipPart (yauzl 3 with 1 MiB range reads),
// yauzl 3 as its README uses it, and where installed in
// $ZIP_ALTS (npm install node-stream-zip unzipper --prefix $ZIP_ALTS): node-stream-zip, unzipper.
// Usage: node bench/zip.mjs [--gib 4.2] [--count 70000]
//        node bench/zip.mjs --plan [--copies 6] [--rounds 3] [--stored]   (archive plan from the zip vs the extracted folder)
//        node bench/zip.mjs --plan --convert [--copies 6]   (plan + convert, one run each)
//        node bench/zip.mjs --rss [--sizes 1,10]   (peak RSS of archive plan on stored parts of 1 and 10 GiB, deleted after)
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../packages/core/package.json"));
const yauzl = require("yauzl");
const yazl = require("yazl");
const { ZipPart } = await import("../packages/core/dist/index.js"); // loaded before any timing
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const GIB = arg("gib", 4.2);
const COUNT = arg("count", 70000);
const dir = process.env.ZIP_BENCH_DIR ?? "/tmp/archive-zip-bench";
const fixtures = join(here, "../../shared/fixtures/real");
mkdirSync(dir, { recursive: true });

function fixtureFiles() {
  const out = [];
  for (const d of readdirSync(fixtures, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    for (const f of readdirSync(join(fixtures, d.name))) out.push(join(fixtures, d.name, f));
  }
  return out.filter((f) => statSync(f).isFile());
}

function writeZip(file, add) {
  return new Promise((res, rej) => {
    const z = new yazl.ZipFile();
    z.outputStream.pipe(createWriteStream(file + ".tmp")).on("close", () => {
      import("node:fs").then((fs) => fs.renameSync(file + ".tmp", file)).then(res, rej);
    });
    add(z);
    z.end();
  });
}

async function build() {
  const files = fixtureFiles();
  const top = "iCloud Photos Part 1 of 2/Photos/";
  const stored = join(dir, "stored.zip");
  if (!existsSync(stored)) {
    const t = Date.now();
    await writeZip(stored, (z) => {
      let bytes = 0;
      for (let copy = 0; bytes < GIB * 2 ** 30; copy++) {
        for (const f of files) {
          z.addFile(f, `${top}${copy}-${f.split("/").pop()}`, { compress: false });
          bytes += statSync(f).size;
        }
      }
    });
    console.log(`built stored.zip ${(statSync(stored).size / 2 ** 30).toFixed(2)} GiB in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  }
  const deflated = join(dir, "deflated.zip");
  if (!existsSync(deflated)) {
    const small = files.filter((f) => statSync(f).size < 4096);
    const t = Date.now();
    await writeZip(deflated, (z) => {
      for (let copy = 0; copy < 4; copy++) for (const f of files) z.addFile(f, `${top}${copy}-${f.split("/").pop()}`);
      for (let i = 0; i < COUNT; i++) z.addBuffer(readFileSync(small[i % small.length]), `${top}s/${i}.AAE`);
    });
    console.log(`built deflated.zip ${(statSync(deflated).size / 2 ** 20).toFixed(0)} MiB, ${COUNT + 4 * files.length} members in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  }
  for (const mode of ["stored", "deflated"]) {
    const nested = join(dir, `nested-${mode}.zip`);
    if (existsSync(nested)) continue;
    const inner = join(dir, `inner-${mode}.zip`);
    await writeZip(inner, (z) => {
      for (let copy = 0; copy < 10; copy++) for (const f of files) z.addFile(f, `My Albums/Trip/${copy}-${f.split("/").pop()}`);
    });
    await writeZip(nested, (z) => z.addFile(inner, "iCloud Photos Part 2 of 2/iCloud Shared Albums.zip", { compress: mode === "deflated" }));
  }
}

// -- readers: each returns { open(file) -> { list(): names, stream(name) -> Readable, close() } }
const readers = {
  // the project's reader: yauzl's central directory and inflate, our 1 MiB range reads, CRC-32 checked
  async "core ZipPart"(file) {
    const part = await ZipPart.open(file);
    const entries = new Map();
    for await (const m of part.members()) if (!("reason" in m)) entries.set(m.path, m);
    return { entries: [...entries.keys()], stream: (n) => part.stream(entries.get(n)), close: () => part.close() };
  },
  async yauzl(file) {
    const zip = await yauzl.openPromise(file, { lazyEntries: true, decodeStrings: false, autoClose: false });
    const entries = new Map();
    await new Promise((res, rej) => {
      zip.on("entry", (e) => {
        entries.set(e.fileName.toString("utf8"), e);
        zip.readEntry();
      });
      zip.on("end", res);
      zip.on("error", rej);
      zip.readEntry();
    });
    return { entries: [...entries.keys()], stream: (n) => zip.openReadStreamPromise(entries.get(n)), close: () => zip.close() };
  },
  async "node-stream-zip"(file) {
    const StreamZip = loadAlt("node-stream-zip");
    const zip = new StreamZip.async({ file });
    const entries = await zip.entries();
    return { entries: Object.keys(entries), stream: (n) => zip.stream(n), close: () => zip.close() };
  },
  async unzipper(file) {
    const unzipper = loadAlt("unzipper");
    const d = await unzipper.Open.file(file);
    const by = new Map(d.files.map((f) => [f.path, f]));
    return { entries: [...by.keys()], stream: async (n) => by.get(n).stream(), close: () => {} };
  },
};

function loadAlt(name) {
  const alts = process.env.ZIP_ALTS ?? "/tmp/zipalts";
  return createRequire(join(alts, "package.json"))(name);
}

// `archive plan` on a part straight from the zip vs on the same files extracted (issue 10: within
// 1.1x). The part: --copies copies of the fixtures, photos stored and videos deflated (--stored:
// every member stored, as Apple's parts). --rounds fresh plans of each, the order alternating
// every round, from a warm page cache; wall, CPU (user+sys, children included) and peak RSS from GNU time.
async function planBench() {
  const { rmSync } = await import("node:fs");
  const copies = arg("copies", 6);
  const allStored = process.argv.includes("--stored");
  const top = "iCloud Photos Part 1 of 1";
  const tag = `${copies}${allStored ? "-stored" : ""}`;
  const zip = join(dir, `plan-part-${tag}.zip`);
  const folder = join(dir, `plan-extracted-${copies}`);
  if (!existsSync(zip)) {
    await writeZip(zip, (z) => {
      for (let c = 0; c < copies; c++) for (const f of fixtureFiles()) z.addFile(f, `${top}/Photos/${c}-${f.split("/").pop()}`, { compress: !allStored && /\.(mov|mp4)$/i.test(f) });
    });
  }
  if (!existsSync(folder)) {
    const part = await ZipPart.open(zip);
    for await (const m of part.members()) {
      if ("reason" in m) continue;
      mkdirSync(dirname(join(folder, m.path)), { recursive: true });
      await part.extractTo(m, join(folder, m.path));
    }
    await part.close();
  }
  const cli = join(here, "../packages/cli/bin/archive.js");
  if (process.argv.includes("--convert")) return planConvertBench(cli, zip, folder);
  const rounds = arg("rounds", 3);
  const runs = { zip: [], folder: [], hash: [] };
  const ratios = [];
  const hashed = [];
  const load = [];
  // the zip plan hashes every member (SHA-256, CRC-32): the folder plan reads heads only, so the
  // like-for-like reference is the folder plan plus hashing the folder (openssl dgst -sha256, 2 at a time: SHA-256 as fast as ours, benchmarks.md)
  const hashFolder = ["-c", `find '${folder}' -type f -print0 | xargs -0 -n 16 -P 2 openssl dgst -sha256 > /dev/null`];
  // both start from a warm page cache (as bench/scan.mjs): every byte of the zip and the folder read once
  spawnSync("/bin/sh", ["-c", `cat '${zip}' > /dev/null; find '${folder}' -type f -exec cat {} + > /dev/null`]);
  for (let i = 0; i < rounds; i++) {
    load.push((await import("node:os")).loadavg()[0]);
    const order = i % 2 ? [["folder", folder], ["zip", zip]] : [["zip", zip], ["folder", folder]];
    for (const [name, src] of order) {
      const ws = join(dir, `plan-ws-${name}`);
      rmSync(ws, { recursive: true, force: true });
      runs[name].push(timed(process.execPath, [cli, "plan", src, "-C", ws, "--json"]));
      if (name === "folder") runs.hash.push(timed("/bin/sh", hashFolder));
    }
    ratios.push(runs.zip[i].wall / runs.folder[i].wall);
    hashed.push(runs.zip[i].wall / (runs.folder[i].wall + runs.hash[i].wall));
  }
  const med = (a) => {
    const s = [...a].sort((x, y) => x - y);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const f1 = (x) => x.toFixed(2);
  const size = (statSync(zip).size / 2 ** 20).toFixed(0);
  const sum = (name) => `wall ${f1(med(runs[name].map((r) => r.wall)))} s, CPU ${f1(med(runs[name].map((r) => r.cpu)))} s, peak RSS ${med(runs[name].map((r) => r.rssMiB)).toFixed(0)} MiB`;
  console.log(`archive plan, ${copies} copies of the fixtures (${size} MiB part${allStored ? ", all stored" : ", videos deflated"}), ${rounds} rounds alternating, load ${Math.min(...load).toFixed(1)}-${Math.max(...load).toFixed(1)}`);
  console.log(`  zip:    ${sum("zip")}`);
  console.log(`  folder: ${sum("folder")}`);
  console.log(`  openssl dgst -sha256 of the folder: wall ${f1(med(runs.hash.map((r) => r.wall)))} s, CPU ${f1(med(runs.hash.map((r) => r.cpu)))} s`);
  console.log(`  ratio zip/folder: median ${f1(med(ratios))}x wall (rounds: ${ratios.map(f1).join(", ")}); CPU ${f1(med(runs.zip.map((r) => r.cpu)) / med(runs.folder.map((r) => r.cpu)))}x`);
  console.log(`  ratio zip/(folder + openssl): median ${f1(med(hashed))}x wall (rounds: ${hashed.map(f1).join(", ")})`);
}

/** One run under GNU time: wall and CPU seconds (children included), peak RSS. */
function timed(cmd, args) {
  const out = join(dir, "time.txt");
  const r = spawnSync("/usr/bin/time", ["-o", out, "-f", "%e %U %S %M", cmd, ...args], { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`${args.join(" ")} exited with ${r.status}`);
  const [wall, user, sys, kib] = readFileSync(out, "utf8").trim().split(/\s+/).slice(-4).map(Number);
  return { wall, cpu: user + sys, rssMiB: kib / 1024 };
}

// plan + convert (the 1.1x): one fresh workspace each, zip and folder in turn
async function planConvertBench(cli, zip, folder) {
  const { execFileSync } = await import("node:child_process");
  const { rmSync } = await import("node:fs");
  const times = {};
  const order = process.env.ZIP_FOLDER_FIRST ? [["folder", folder], ["zip", zip]] : [["zip", zip], ["folder", folder]];
  for (const [name, src] of order) {
    const ws = join(dir, `convert-ws-${name}`);
    rmSync(ws, { recursive: true, force: true });
    const t = performance.now();
    execFileSync(process.execPath, [cli, "plan", src, "-C", ws, "--json"], { stdio: ["ignore", "ignore", "inherit"] });
    const tPlan = performance.now();
    try {
      execFileSync(process.execPath, [cli, "convert", "-C", ws, "--json"], { stdio: ["ignore", "ignore", "ignore"] });
    } catch {
      // exit 1: the fixtures' unreadable files are unresolved; the run itself completed
    }
    times[name] = { plan: (tPlan - t) / 1000, convert: (performance.now() - tPlan) / 1000 };
  }
  const f = (x) => `plan ${x.plan.toFixed(1)} s + convert ${x.convert.toFixed(1)} s = ${(x.plan + x.convert).toFixed(1)} s`;
  const ratio = (times.zip.plan + times.zip.convert) / (times.folder.plan + times.folder.convert);
  console.log(`plan + convert, ${(statSync(zip).size / 2 ** 20).toFixed(0)} MiB part: zip ${f(times.zip)}; extracted folder ${f(times.folder)}; ratio ${ratio.toFixed(2)}x`);
}

async function drain(stream) {
  const sha = createHash("sha256");
  let crc = 0;
  let bytes = 0;
  for await (const chunk of stream) {
    crc = crc32(chunk, crc);
    sha.update(chunk);
    bytes += chunk.length;
  }
  sha.digest();
  return { crc, bytes };
}

let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);

async function measure(name, file, { all }) {
  peak = process.memoryUsage().rss;
  const t0 = performance.now();
  let r;
  try {
    r = await readers[name](file);
  } catch (err) {
    return `${name.padEnd(16)} ${file.split("/").pop().padEnd(20)} cannot open: ${err.message}`;
  }
  const tList = performance.now() - t0;
  const mid = r.entries[Math.floor(r.entries.length / 2)];
  const t1 = performance.now();
  await drain(await r.stream(mid));
  const tRandom = performance.now() - t1;
  let bytes = 0;
  const t2 = performance.now();
  if (all) for (const n of r.entries) if (!n.endsWith("/")) bytes += (await drain(await r.stream(n))).bytes;
  const tAll = (performance.now() - t2) / 1000;
  r.close();
  const mbs = all ? `${(bytes / 2 ** 20 / tAll).toFixed(0)} MiB/s (${tAll.toFixed(1)} s)` : "-";
  return `${name.padEnd(16)} ${file.split("/").pop().padEnd(20)} ${String(r.entries.length).padStart(6)} entries  list ${tList.toFixed(0).padStart(5)} ms  random ${tRandom.toFixed(0).padStart(4)} ms  all+crc+sha ${mbs}  peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`;
}

// Peak RSS of `archive plan` on stored parts of --sizes GiB (default 1,10) built from the fixtures
// (copies under distinct names), each deleted afterwards (issue 10: flat from 1 GB to 10 GB).
async function rssBench() {
  const { rmSync } = await import("node:fs");
  const sizes = (process.argv[process.argv.indexOf("--sizes") + 1] ?? "").split(",").map(Number).filter((x) => x > 0);
  const files = fixtureFiles();
  const cli = join(here, "../packages/cli/bin/archive.js");
  for (const gib of sizes.length && process.argv.includes("--sizes") ? sizes : [1, 10]) {
    const zip = join(dir, `rss-${gib}.zip`);
    let members = 0;
    const t = Date.now();
    await writeZip(zip, (z) => {
      for (let bytes = 0, copy = 0; bytes < gib * 2 ** 30; copy++) {
        for (const f of files) {
          z.addFile(f, `iCloud Photos Part 1 of 1/Photos/${copy}-${f.split("/").pop()}`, { compress: false });
          bytes += statSync(f).size;
          members++;
        }
      }
    });
    const built = ((Date.now() - t) / 1000).toFixed(0);
    const ws = join(dir, "rss-ws");
    rmSync(ws, { recursive: true, force: true });
    try {
      const r = timed(process.execPath, [cli, "plan", zip, "-C", ws, "--json"]);
      console.log(`archive plan, ${(statSync(zip).size / 2 ** 30).toFixed(2)} GiB stored part, ${members} members (built in ${built} s): wall ${r.wall.toFixed(1)} s, CPU ${r.cpu.toFixed(1)} s, peak RSS ${r.rssMiB.toFixed(0)} MiB`);
    } finally {
      rmSync(zip, { force: true });
      rmSync(ws, { recursive: true, force: true });
    }
  }
}

if (process.argv.includes("--rss")) {
  await rssBench();
  process.exit(0);
}
if (process.argv.includes("--plan")) {
  await planBench();
  process.exit(0);
}
await build();
const only = process.env.ZIP_READERS?.split(",") ?? Object.keys(readers);
for (const file of ["stored.zip", "deflated.zip"]) {
  for (const name of only) console.log(await measure(name, join(dir, file), { all: true }));
}
// nested: core's openNested reads a stored inner zip in place through a reader over the outer
// file; a deflated one has no random access, so it is inflated once to a temp file
for (const mode of ["stored", "deflated"]) {
  const file = join(dir, `nested-${mode}.zip`);
  const outer = await ZipPart.open(file);
  let m;
  for await (const x of outer.members()) m = x;
  const t = performance.now();
  const tmp = join(dir, `tmp-inner-${mode}.zip`);
  const inner = await outer.openNested(m, file, tmp);
  const tOpen = performance.now() - t;
  let n = 0;
  let bytes = 0;
  for await (const x of inner.members()) {
    if ("reason" in x) continue;
    bytes += (await drain(await inner.stream(x))).bytes;
    n++;
  }
  const tAll = performance.now() - t;
  const temp = existsSync(tmp) ? `temp copy ${(statSync(tmp).size / 2 ** 20).toFixed(0)} MiB` : "no temp copy";
  await inner.close();
  await outer.close();
  console.log(`nested ${mode.padEnd(8)} inner zip opened in ${tOpen.toFixed(0).padStart(5)} ms (${temp}); ${n} members, ${(bytes / 2 ** 20).toFixed(0)} MiB read with CRC+SHA in ${(tAll / 1000).toFixed(1)} s`);
}
clearInterval(sampler);
