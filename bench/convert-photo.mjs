#!/usr/bin/env node
// Benchmark (issue 13): 20 x 12 MP HEIC -> JPEG with full metadata (EXIF, XMP, maker note, ICC;
// ISO 21496-1 gain map where the HEIC has an HDR gain map) by `archive convert`, against Debian's
// native `heif-convert -q 90` run two at a time, side by side in one run; also ours with --no-hdr
// (what the gain map costs) and ours with the pixels decoded by libheif wasm alone
// (ARCHIVE_HEIF_DECODER=wasm: what the native ffmpeg decoder saves). Reports the ratio, seconds per photo and the projected time for 2,000
// photos on this machine next to the paid upload API's published ~30 minutes for 2,000 photos.
//
//   npx turbo run build --filter=@archive/cli && node bench/convert-photo.mjs [--rounds 2] [--dir /tmp/archive-bench-photo]
//
// Inputs: five real 12 MP grid HEICs from ../shared/fixtures/real (two with an Apple HDR gain map;
// the iOS 18 files are left out because Debian 12's libheif 1.15 cannot open them), each copied 4
// times under --dir with a distinct trailing ISO-BMFF `free` box (identical files would rightly be
// converted once). Rounds alternate the order of the tools (other work may share the 2 cores);
// `archive plan` runs before each of ours and is not timed. The outputs are checked: every JPEG
// of ours carries EXIF, and the HDR inputs' JPEGs carry a gain map sharp can read.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { readJpegMetadata } from "@archive/core";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "2" },
    dir: { type: "string", default: "/tmp/archive-bench-photo" },
    fixtures: { type: "string", default: resolve(repo, "../shared/fixtures/real") },
  },
});
const ROUNDS = Number(values.rounds);
const base = resolve(values.dir);
if (!base.startsWith("/tmp/")) throw new Error("the bench files live under /tmp only");
const archiveBin = join(repo, "packages/cli/bin/archive.js");
/** [fixture, has an HDR gain map] */
const PHOTOS = [
  ["osxphotos/IMG_1853.HEIC", false],
  ["lychee/classic-car.heic", true],
  ["exif-samples/iphone_13_pro_max.HEIC", true],
  ["immich/IMG_2682.heic", false],
  ["exifr/heic-iphone7.heic", false],
];
const COPIES = 4;
const P = 2; // two at a time: the cores of the machine these numbers are for
const API_MINUTES = 30; // the paid upload API's published figure for 2,000 photos

function freeBox(n) {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(16, 0);
  b.write("free", 4, "latin1");
  b.writeBigUInt64BE(BigInt(n), 8);
  return b;
}

function prepare() {
  const dir = join(base, "heic");
  rmSync(base, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let n = 0;
  const hdr = new Set();
  for (const [rel, isHdr] of PHOTOS) {
    const data = readFileSync(join(values.fixtures, rel));
    const stem = basename(rel).replace(/\.[^.]+$/, "");
    for (let k = 1; k <= COPIES; k++) {
      writeFileSync(join(dir, `${stem}-${k}.heic`), Buffer.concat([data, freeBox(++n)]));
      if (isHdr) hdr.add(`${stem}-${k}`);
    }
  }
  return { dir, hdr };
}

/** CPU seconds (user + sys, children included) that GNU time wrote to `file`. */
const cpuOf = (file) => readFileSync(file, "utf8").trim().split("\n").pop().split(" ").map(Number).reduce((a, b) => a + b, 0);

/** Run under GNU time: wall seconds, and CPU seconds, which a busy neighbour disturbs far less. */
function run(cmd, args, env = {}) {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const timeFile = join(base, "time.txt");
    const child = spawn("/usr/bin/time", ["-f", "%U %S", "-o", timeFile, cmd, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", rej);
    child.on("close", (code) => {
      const seconds = (performance.now() - t0) / 1000;
      // convert exits 1 for anything to look at (e.g. warnings are fine, failures are not: checked below)
      if (code !== 0 && code !== 1) rej(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${err.slice(-2000)}`));
      else res({ seconds, cpu: cpuOf(timeFile), out });
    });
  });
}

const uptime = () => spawnSync("uptime", { encoding: "utf8" }).stdout.trim().replace(/^.*load average/, "load average");
const jpegsIn = (dir) => readdirSync(dir, { recursive: true }).map(String).filter((f) => /\.jpe?g$/i.test(f)).map((f) => join(dir, f));

/** archive plan (untimed) then archive convert (timed) on a fresh workspace; outputs checked. */
async function ours(src, ws, hdrStems, extra = [], env = {}) {
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(ws, { recursive: true });
  await run(process.execPath, [archiveBin, "plan", src, "-C", ws, "--json"]);
  const r = await run(process.execPath, [archiveBin, "convert", "-C", ws, "--json", ...extra], env);
  const res = JSON.parse(r.out);
  if (res.failed.length) throw new Error(`archive convert failed on ${JSON.stringify(res.failed)}`);
  let gainMaps = 0;
  for (const f of jpegsIn(join(ws, "converted"))) {
    const m = readJpegMetadata(readFileSync(f));
    if (!m.exif || !m.icc) throw new Error(`${f}: EXIF or ICC missing`);
    const has = (await sharp(f).metadata()).gainMap !== undefined;
    const want = !extra.includes("--no-hdr") && hdrStems.has(basename(f).replace(/\.jpg$/, ""));
    if (has !== want) throw new Error(`${f}: gain map ${has ? "present" : "missing"}`);
    gainMaps += has ? 1 : 0;
  }
  return { seconds: r.seconds, cpu: r.cpu, converted: res.converted, gainMaps };
}

function heifConvert(files, outDir) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const list = files.flatMap((f) => [f, join(outDir, `${basename(f)}.jpg`)]).join("\0") + "\0";
  const t0 = performance.now();
  const timeFile = join(base, "time.txt");
  const r = spawnSync("/usr/bin/time", ["-f", "%U %S", "-o", timeFile, "xargs", "-0", "-n2", `-P${P}`, "heif-convert", "-q", "90"], { input: list, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`heif-convert: ${r.stderr}`);
  return { seconds: (performance.now() - t0) / 1000, cpu: cpuOf(timeFile), converted: jpegsIn(outDir).length };
}

const fmt = (s) => s.toFixed(2);

async function round(n, dir, hdr, heics) {
  const r = { round: n, load: uptime() };
  const steps = {
    ours: () => ours(dir, join(base, "ws"), hdr),
    noHdr: () => ours(dir, join(base, "ws-nohdr"), hdr, ["--no-hdr"]),
    // the pixels decoded by libheif wasm alone (no ffmpeg): what the native decoder saves
    wasm: () => ours(dir, join(base, "ws-wasm"), hdr, [], { ARCHIVE_HEIF_DECODER: "wasm" }),
    heif: async () => heifConvert(heics, join(base, "out-heif-convert")),
  };
  // alternate the order: a busy neighbour then weighs on each tool in turn
  const order = n % 2 ? ["ours", "heif", "noHdr", "wasm"] : ["wasm", "heif", "noHdr", "ours"];
  for (const k of order) r[k] = await steps[k]();
  r.ratio = r.ours.seconds / r.heif.seconds;
  r.cpuRatio = r.ours.cpu / r.heif.cpu;
  console.error(
    `round ${n} (${order.join(", ")}): ours ${fmt(r.ours.seconds)} s wall / ${fmt(r.ours.cpu)} s CPU (${r.ours.gainMaps} gain maps), --no-hdr ${fmt(r.noHdr.seconds)} / ${fmt(r.noHdr.cpu)} s, wasm decoder only ${fmt(r.wasm.seconds)} / ${fmt(r.wasm.cpu)} s, heif-convert ${fmt(r.heif.seconds)} / ${fmt(r.heif.cpu)} s: ${fmt(r.ratio)}x wall, ${fmt(r.cpuRatio)}x CPU; ${r.load}`,
  );
  return r;
}

async function main() {
  for (const tool of ["heif-convert", "xargs", "uptime", "time"]) if (spawnSync("which", [tool]).status !== 0) throw new Error(`${tool} not found`);
  const { dir, hdr } = prepare();
  const heics = readdirSync(dir).sort().map((f) => join(dir, f));
  const rounds = [];
  for (let n = 1; n <= ROUNDS; n++) rounds.push(await round(n, dir, hdr, heics));
  const sum = (k) => rounds.reduce((s, r) => s + r[k].seconds, 0);
  const cpuSum = (k) => rounds.reduce((s, r) => s + r[k].cpu, 0);
  const perPhoto = sum("ours") / rounds.length / heics.length;
  const report = {
    photos: heics.length,
    megabytes: heics.reduce((s, f) => s + statSync(f).size, 0) / 1e6,
    cpu: `${availableParallelism()} x ${cpus()[0]?.model ?? "?"}`,
    rounds,
    totals: { ours: sum("ours"), noHdr: sum("noHdr"), wasmOnly: sum("wasm"), heifConvert: sum("heif") },
    ratio: sum("ours") / sum("heif"),
    ratioNoHdr: sum("noHdr") / sum("heif"),
    cpuRatio: cpuSum("ours") / cpuSum("heif"),
    cpuRatioNoHdr: cpuSum("noHdr") / cpuSum("heif"),
    ratioWasmOnly: sum("wasm") / sum("heif"),
    cpuRatioWasmOnly: cpuSum("wasm") / cpuSum("heif"),
    // CPU seconds of ours (plan not included) include node's start-up and the catalog work
    cpuSecondsPerPhoto: cpuSum("ours") / rounds.length / heics.length,
    secondsPerPhoto: perPhoto,
    projected2000Minutes: (perPhoto * 2000) / 60,
    // what the same CPU seconds take on this machine with nothing else running: both cores busy
    projected2000MinutesIdle: (cpuSum("ours") / rounds.length / heics.length) * 2000 / P / 60,
    heifConvert2000MinutesIdle: (cpuSum("heif") / rounds.length / heics.length) * 2000 / P / 60,
    heifConvert2000Minutes: ((sum("heif") / rounds.length / heics.length) * 2000) / 60,
    apiMinutes: API_MINUTES,
  };
  console.log(JSON.stringify(report, null, 2));
  console.error(
    `ours/heif-convert ${fmt(report.ratio)}x wall, ${fmt(report.cpuRatio)}x CPU (--no-hdr ${fmt(report.ratioNoHdr)}x wall, ${fmt(report.cpuRatioNoHdr)}x CPU; libheif wasm alone ${fmt(report.ratioWasmOnly)}x wall, ${fmt(report.cpuRatioWasmOnly)}x CPU) over ${rounds.length} rounds; ${fmt(perPhoto)} s a photo -> 2,000 photos in ~${report.projected2000Minutes.toFixed(0)} min here (heif-convert ~${report.heifConvert2000Minutes.toFixed(0)} min); from CPU seconds on an idle machine ~${report.projected2000MinutesIdle.toFixed(0)} min (heif-convert ~${report.heifConvert2000MinutesIdle.toFixed(0)} min); the paid upload API ~${API_MINUTES} min`,
  );
}

await main();
