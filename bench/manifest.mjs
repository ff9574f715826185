#!/usr/bin/env node
// Benchmark: archive manifest (SHA-256 on all cores) vs sha256sum, hashdeep and parallel openssl,
// on a generated tree of 3 MB files (warm cache); and video verification vs plain ffmpeg decode.
//
//   npx turbo run build && node bench/manifest.mjs [--gb 2.1] [--runs 3] [--dir /tmp/archive-bench-manifest] [--out docs/benchmarks-manifest.md]
//
// The tree (random bytes, never in the repo) is the payload of a workspace under --dir. Every
// tool reads the same files after a warm-up read; the median of --runs wall times counts. Ours
// runs with an emptied hash cache each time, so it really re-reads and re-hashes every byte.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { openWorkspace, resolveTool } from "@archive/core";
import { buildManifest, decodeVideo, probeVideo } from "@archive/verify";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    gb: { type: "string", default: "2.1" },
    runs: { type: "string", default: "3" },
    dir: { type: "string", default: "/tmp/archive-bench-manifest" },
    out: { type: "string", default: join(repo, "docs/benchmarks-manifest.md") },
  },
});
const FILE = 3 * 1024 * 1024;
const COUNT = Math.ceil((Number(values.gb) * 1e9) / FILE);
const RUNS = Number(values.runs);
const base = resolve(values.dir);
if (!base.startsWith("/tmp/")) throw new Error("the bench tree lives under /tmp only");
const ws = join(base, "ws");
const payload = join(ws, "converted");

// ---- 1. the tree --------------------------------------------------------------------------
// v2: every file is journalled as convert's output (the manifest lists only the archive's own outputs)
const spec = JSON.stringify({ COUNT, FILE, v: 2 });
const specFile = join(base, "spec.json");
if (!existsSync(specFile) || readFileSync(specFile, "utf8") !== spec) {
  console.error(`generating ${COUNT} files of 3 MiB under ${payload} ...`);
  rmSync(base, { recursive: true, force: true });
  for (let i = 0; i < COUNT; i++) {
    const dir = join(payload, `${2010 + (i % 12)}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `IMG_${String(i).padStart(5, "0")}.jpg`), randomBytes(FILE));
  }
  journalOutputs();
  writeFileSync(specFile, spec);
}
const bytes = COUNT * FILE;

/** Journal every generated file as a finished copy job (no hash recorded: the manifest reads each once, the path measured here). */
function journalOutputs() {
  const w = openWorkspace(ws, { create: true, lock: false });
  try {
    const db = w.catalog.db;
    const src = db.prepare("INSERT INTO sources (root, added_at) VALUES ('/bench', datetime('now'))").run().lastInsertRowid;
    const item = db.prepare(
      `INSERT INTO items (source_id, rel_path, name, dir, base_stem, variant, size, mtime_ms, format, kind, scanned_at)
       VALUES (?, ?, ?, '', ?, 'original', ?, 0, 'jpeg', 'photo', datetime('now'))`,
    );
    const job = db.prepare("INSERT INTO jobs (item_id, action, status, output_rel, updated_at) VALUES (?, 'copy', 'done', ?, datetime('now'))");
    db.transaction(() => {
      for (let i = 0; i < COUNT; i++) {
        const name = `IMG_${String(i).padStart(5, "0")}.jpg`;
        const id = item.run(src, name, name, name.slice(0, -4), FILE).lastInsertRowid;
        job.run(id, `converted/${2010 + (i % 12)}/${name}`);
      }
    })();
  } finally {
    w.close();
  }
}

const sh = (cmd) => {
  const t = process.hrtime.bigint();
  const r = spawnSync("bash", ["-c", cmd], { cwd: ws, stdio: ["ignore", "ignore", "pipe"] });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e9;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const have = (cmd) => spawnSync("bash", ["-c", `command -v ${cmd}`]).status === 0;

const loadBefore = loadavg()[0];
// warm the page cache
sh("find converted -type f -print0 | xargs -0 cat > /dev/null");

async function ours() {
  const w = openWorkspace(ws, { lock: false });
  try {
    w.catalog.db.prepare("DELETE FROM file_hashes").run();
    const t = process.hrtime.bigint();
    const r = await buildManifest({ workspace: ws, catalog: w.catalog });
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    if (r.files !== COUNT || r.hashed !== COUNT) throw new Error(`manifest hashed ${r.hashed}/${r.files} of ${COUNT}`);
    return s;
  } finally {
    w.close();
  }
}

const tools = [
  ["archive manifest (node:crypto, worker threads = cores)", ours, "buildManifest() from packages/verify/dist"],
  ["sha256sum (serial)", () => sh("find converted -type f -print0 | xargs -0 sha256sum > /dev/null"), "find converted -type f -print0 | xargs -0 sha256sum"],
  ...(have("hashdeep") ? [["hashdeep -r -c sha256", () => sh("hashdeep -r -c sha256 converted > /dev/null"), "hashdeep -r -c sha256 converted"]] : []),
  ["openssl dgst -sha256, two at a time", () => sh("find converted -type f -print0 | xargs -0 -P2 -n 64 openssl dgst -sha256 > /dev/null"), "find converted -type f -print0 | xargs -0 -P2 -n 64 openssl dgst -sha256"],
];

const results = [];
for (const [name, fn, cmd] of tools) {
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push(await fn());
  const s = median(times);
  results.push({ name, cmd, s, mbs: bytes / 1e6 / s });
  console.error(`${name}: ${s.toFixed(2)} s (${times.map((x) => x.toFixed(2)).join(", ")})`);
}
const openssl = results.find((r) => r.name.startsWith("openssl"));
const sha = results.find((r) => r.name.startsWith("sha256sum"));
const me = results[0];

// ---- 2. video verification vs plain ffmpeg decode -------------------------------------------
const fixtures = resolve(repo, "../shared/fixtures/real");
const ffmpeg = resolveTool("ffmpeg").path;
const ffprobe = resolveTool("ffprobe").path;
const videos = existsSync(fixtures)
  ? readdirSync(fixtures, { recursive: true })
      .map(String)
      .filter((p) => /\.(mov|mp4)$/i.test(p) && !p.includes("poc"))
      .map((p) => join(fixtures, p))
  : [];
const video = [];
if (videos.length) {
  const time = async (fn) => {
    const ts = [];
    for (let i = 0; i < RUNS; i++) {
      const t = process.hrtime.bigint();
      for (const v of videos) await fn(v);
      ts.push(Number(process.hrtime.bigint() - t) / 1e9);
    }
    return median(ts);
  };
  const plain = await time(async (v) => {
    const r = spawnSync(ffmpeg, ["-nostdin", "-v", "error", "-i", v, "-f", "null", "-"]);
    if (r.status !== 0) throw new Error(`ffmpeg failed on ${v}`);
  });
  const full = await time((v) => decodeVideo(ffmpeg, ffprobe, v));
  const quick = await time((v) => probeVideo(ffprobe, v));
  video.push(
    { name: "`ffmpeg -v error -i F -f null -` (plain decode)", s: plain },
    { name: "verify: ffprobe -count_packets + `ffmpeg -xerror` decode + duration check", s: full },
    { name: "verify --quick: ffprobe -count_packets only", s: quick },
  );
}

// ---- 3. report -----------------------------------------------------------------------------
const cpu = cpus()[0]?.model ?? "?";
const lines = [];
lines.push(`### SHA-256 manifest (${COUNT} files x 3 MiB = ${(bytes / 1e9).toFixed(2)} GB, warm cache, ${cpus().length} cores, ${cpu})`);
lines.push("");
lines.push(`Command: \`npx turbo run build && node bench/manifest.mjs --gb ${values.gb} --runs ${RUNS}\` (median of ${RUNS} runs; date ${new Date().toISOString().slice(0, 10)})`);
lines.push("");
lines.push(
  `Machine load (1-minute load average) ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after${loadBefore > cpus().length ? ": **the machine was busy with other work; every tool shared the cores, so absolute MB/s are low and noisy, ratios less so**" : ""}.`,
);
lines.push("");
lines.push("| tool | time | MB/s | vs parallel openssl | vs sha256sum |");
lines.push("|---|---:|---:|---:|---:|");
for (const r of results) {
  lines.push(`| ${r.name} | ${r.s.toFixed(2)} s | ${Math.round(r.mbs)} | ${(r.mbs / openssl.mbs).toFixed(2)}x | ${(r.mbs / sha.mbs).toFixed(2)}x |`);
}
lines.push("");
const t1 = me.mbs / openssl.mbs >= 0.9;
const t2 = me.mbs / sha.mbs >= 5;
lines.push(
  `Targets: >= 0.9x parallel openssl: ${t1 ? "met" : "**missed**"} (${(me.mbs / openssl.mbs).toFixed(2)}x); >= 5x sha256sum: ${t2 ? "met" : "**missed**"} (${(me.mbs / sha.mbs).toFixed(2)}x).`,
);
lines.push("");
lines.push("Tool commands (run in the workspace):");
lines.push("");
for (const r of results) lines.push(`- ${r.name}: \`${r.cmd}\``);
if (video.length) {
  lines.push("");
  lines.push(`### Video verification (${videos.length} fixture videos from ../shared/fixtures/real, run one after another)`);
  lines.push("");
  lines.push("| check | time | vs plain decode |");
  lines.push("|---|---:|---:|");
  for (const v of video) lines.push(`| ${v.name} | ${v.s.toFixed(2)} s | ${(v.s / video[0].s).toFixed(2)}x |`);
}
const md = lines.join("\n") + "\n";
console.log(md);
writeFileSync(values.out, md);
