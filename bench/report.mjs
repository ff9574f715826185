#!/usr/bin/env node
// Benchmark: `archive report` on a synthetic 50,000-item catalog (thumbnails already cached).
//
//   npx turbo run build && node bench/report.mjs [--items 50000] [--runs 5] [--dir /tmp/archive-bench-report] [--out docs/benchmarks-report.md]
//
// The catalog is written directly (core's openWorkspace + SQL inserts): items spread over
// 2008-2025 with yearly growth and a summer peak, photos/HEIC/JPEG, videos, Live Photo pairs,
// RAW, sidecars, device models, rotated and HDR items, GPS, a job journal (converted, copied,
// duplicates, skipped, failed with reasons), duplicate SHA-256s, and plan/convert/verify runs.
// 24 items get real small JPEG files (source + archived copy) and their thumbnails are made
// once; the timed runs then sample only items whose thumbnails are cached (--cached-only), so
// they measure the SQL aggregation, the page rendering and the write, not image decoding.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync, statSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { openWorkspace, sourceId as sourceIdOf, startRun, finishRun } from "@archive/core";
import { buildReport, makeThumbs, sample } from "@archive/report";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    items: { type: "string", default: "50000" },
    runs: { type: "string", default: "5" },
    dir: { type: "string", default: "/tmp/archive-bench-report" },
    out: { type: "string", default: join(repo, "docs/benchmarks-report.md") },
  },
});
const N = Number(values.items);
const RUNS = Number(values.runs);
const base = resolve(values.dir);
if (!base.startsWith("/tmp/")) throw new Error("the bench workspace lives under /tmp only");
rmSync(base, { recursive: true, force: true });
const src = join(base, "source");
const wsDir = join(base, "workspace");
mkdirSync(src, { recursive: true });

// Deterministic pseudo-random numbers (mulberry32), so every run builds the same catalog.
let seed = 42;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (arr) => arr[Math.floor(rnd() * arr.length)];
const MODELS = ["iPhone 4S", "iPhone 6", "iPhone 8", "iPhone X", "iPhone 11 Pro", "iPhone 13", "iPhone 15 Pro", "Canon EOS 80D", "SM-G991B", null];
const YEARS = Array.from({ length: 18 }, (_, i) => 2008 + i);
const yearWeights = YEARS.map((_, i) => 1 + i * 0.4); // libraries grow over time
const yearTotal = yearWeights.reduce((a, b) => a + b, 0);
function pickYear() {
  let r = rnd() * yearTotal;
  for (let i = 0; i < YEARS.length; i++) if ((r -= yearWeights[i]) <= 0) return YEARS[i];
  return YEARS.at(-1);
}
const pickMonth = () => (rnd() < 0.3 ? 6 + Math.floor(rnd() * 3) : 1 + Math.floor(rnd() * 12)); // summer peak
const FAIL_REASONS = [
  "truncated HEIF: image data runs past the end of the file",
  "unreadable video: no playable track found",
  "empty file (0 bytes)",
  "ffmpeg failed: Invalid data found when processing input",
];

const loadAtStart = loadavg()[0];
const t0 = performance.now();
const ws = openWorkspace(wsDir, { create: true });
const cat = ws.catalog;
const sourceId = sourceIdOf(cat, src);
const now = new Date().toISOString();
const REAL = 24; // items with real files and cached thumbnails
const realIds = [];
cat.tx(() => {
  const insItem = cat.db.prepare(`INSERT INTO items (source_id, rel_path, name, dir, base_stem, variant, size, mtime_ms, format, kind,
      capture_local, capture_offset, capture_year, capture_month, capture_source, gps_lat, gps_lon, make, model, width, height,
      orientation, rotation, duration, codec, hdr, icc, content_id, needs_conversion, error, sha256, scanned_at)
    VALUES (@source_id, @rel_path, @name, @dir, @base_stem, 'original', @size, @mtime_ms, @format, @kind,
      @capture_local, '+02:00', @year, @month, 'exif', @gps, @gps, 'Apple', @model, @width, @height,
      @orientation, @rotation, @duration, @codec, @hdr, @icc, @content_id, @needs, @error, @sha256, @now)`);
  const insJob = cat.db.prepare(`INSERT INTO jobs (item_id, action, status, output_rel, params, reason, output_size, run_id, updated_at, duplicate_of)
    VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`);
  const insGroup = cat.db.prepare("INSERT INTO groups (type, key) VALUES (?, ?)");
  const insMember = cat.db.prepare("INSERT INTO group_members (group_id, item_id, role) VALUES (?, ?, ?)");
  let made = 0;
  let n = 0;
  while (made < N) {
    n++;
    const year = pickYear();
    const month = pickMonth();
    const day = 1 + Math.floor(rnd() * 28);
    const dir = `${year}/${String(month).padStart(2, "0")}`;
    const stem = `IMG_${String(n).padStart(6, "0")}`;
    const model = pick(MODELS);
    const r = rnd();
    const real = realIds.length < REAL && n % 997 === 0;
    const kind = real ? "photo" : r < 0.62 ? "photo" : r < 0.72 ? "live" : r < 0.82 ? "video" : r < 0.84 ? "raw" : r < 0.87 ? "sidecar" : "photo";
    const capture = `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}T12:00:00`;
    const rotated = real || rnd() < 0.25;
    const common = { source_id: sourceId, dir, base_stem: stem, mtime_ms: Date.UTC(year, month - 1, day), capture_local: capture, year, month, model, now, error: null, content_id: null, duration: null, codec: null, rotation: null };
    const items = [];
    if (kind === "photo" || kind === "live" || kind === "raw") {
      const heic = !real && kind !== "raw" && year >= 2017 && rnd() < 0.85;
      const format = kind === "raw" ? "dng" : heic ? "heic" : "jpeg";
      const name = `${stem}.${format === "dng" ? "DNG" : heic ? "HEIC" : "JPG"}`;
      items.push({ ...common, rel_path: `${dir}/${name}`, name, kind: kind === "raw" ? "raw" : "photo", format, size: Math.floor(1e6 + rnd() * 4e6),
        gps: rnd() < 0.8 ? 48.1 : null, width: rotated ? 3024 : 4032, height: rotated ? 4032 : 3024, orientation: rotated ? 6 : 1,
        hdr: heic && rnd() < 0.05 ? "gainmap" : null, icc: heic ? "Display P3" : "sRGB IEC61966-2.1", needs: heic ? 1 : 0,
        sha256: rnd() < 0.02 ? `dup${Math.floor(rnd() * 300)}` : `sha${n}`, content_id: kind === "live" ? `cid-${n}` : null, real });
    }
    if (kind === "video" || kind === "live") {
      const name = `${stem}.MOV`;
      const hevc = year >= 2018;
      items.push({ ...common, rel_path: `${dir}/${name}`, name, kind: "video", format: "mov", size: Math.floor(kind === "live" ? 2e6 + rnd() * 2e6 : 5e6 + rnd() * 2e8),
        gps: rnd() < 0.7 ? 48.1 : null, width: 1920, height: 1080, orientation: null, rotation: rotated ? 90 : 0, duration: kind === "live" ? 2.8 : 3 + rnd() * 120,
        codec: hevc ? "hevc" : "h264", hdr: hevc && rnd() < 0.2 ? "hlg" : null, icc: null, needs: hevc ? 1 : 0, sha256: `sha${n}v`, content_id: kind === "live" ? `cid-${n}` : null, real: false });
    }
    if (kind === "sidecar") {
      items.push({ ...common, rel_path: `${dir}/${stem}.AAE`, name: `${stem}.AAE`, kind: "sidecar", format: "aae", size: 900, gps: null, width: null, height: null,
        orientation: null, hdr: null, icc: null, needs: 0, sha256: `sha${n}a`, real: false });
    }
    const ids = [];
    for (const it of items) {
      const fail = !it.real && rnd() < 0.004;
      if (fail && it.kind !== "sidecar") it.error = pick(FAIL_REASONS);
      const { real: isReal, ...row } = it;
      const id = Number(insItem.run(row).lastInsertRowid);
      ids.push(id);
      made++;
      if (isReal) realIds.push({ id, rel: it.rel_path });
      const jr = rnd();
      if (jr < 0.03 && !isReal) continue; // not archived yet
      const ext = it.kind === "video" ? "mp4" : it.format === "heic" ? "jpg" : it.name.split(".").pop();
      const out = `converted/${it.dir}/${it.base_stem}.${ext}`;
      if (it.error || (jr < 0.035 && !isReal)) insJob.run(id, it.needs ? "convert" : "copy", "failed", null, null, it.error ?? pick(FAIL_REASONS), null, now, null);
      else if (jr < 0.045 && !isReal) insJob.run(id, "copy", "skipped", null, null, "sidecar of an item that failed", null, now, null);
      else if (it.sha256.startsWith("dup") && !isReal) insJob.run(id, "duplicate", "done", null, null, null, null, now, 1);
      else {
        const warn = rnd() < 0.01 ? JSON.stringify({ warnings: ["2 images in the file; the primary one was converted"] }) : JSON.stringify({ warnings: [] });
        insJob.run(id, it.needs ? "convert" : "copy", "done", out, warn, null, Math.floor(it.size * (it.needs ? 1.6 : 1)), now, null);
      }
    }
    if (kind === "live" && ids.length === 2) {
      const g = Number(insGroup.run("live", `cid-${n}`).lastInsertRowid);
      insMember.run(g, ids[0], "photo");
      insMember.run(g, ids[1], "video");
    }
  }
  const planId = startRun(cat, "plan");
  finishRun(cat, planId, "plan", "ok", { sources: [src], totals: { files: N, bytes: 0 }, livePhotoPairs: 0, unreadable: [], weakCaptureTime: { files: 12 } });
  const convId = startRun(cat, "convert");
  finishRun(cat, convId, "convert", "failures", {});
  const verId = startRun(cat, "verify");
  finishRun(cat, verId, "verify", "failed", { ok: false, quick: false, complete: true, checks: [{ name: "fixity", checked: N, passed: N - 3, failed: 3, skipped: 0 }], notConvertedYet: 0 });
});
const tCatalog = performance.now() - t0;

// Real files for the REAL sampled items: a source JPEG with EXIF orientation 6 and its archived copy.
for (const { id, rel } of realIds) {
  const img = sharp({ create: { width: 1200, height: 900, channels: 3, background: { r: (id * 37) % 255, g: (id * 91) % 255, b: 160 } } });
  const buf = await img.jpeg({ quality: 85 }).withMetadata({ orientation: 6 }).toBuffer();
  mkdirSync(dirname(join(src, rel)), { recursive: true });
  writeFileSync(join(src, rel), buf);
  const out = join(wsDir, "converted", rel);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, buf);
  cat.db.prepare("UPDATE items SET size = ?, mtime_ms = ? WHERE id = ?").run(buf.length, Math.trunc(statSync(join(src, rel)).mtimeMs), id);
  cat.db.prepare("UPDATE jobs SET output_rel = ?, output_size = ? WHERE item_id = ?").run(`converted/${rel}`, buf.length, id);
}
const wanted = new Set(realIds.map((r) => r.id));
const t1 = performance.now();
const toThumb = sample(cat, 1_000_000).filter((it) => wanted.has(it.id));
const thumbs = await makeThumbs(toThumb, { root: wsDir, reportDir: join(wsDir, "report") });
const tThumbs = performance.now() - t1;
ws.close();

// Timed runs: the CLI, a fresh process each time (node startup and module loading included).
const cli = join(repo, "packages/cli/bin/archive.js");
const args = [cli, "report", "-C", wsDir, "--cached-only", "--json"];
const walls = [];
let last;
for (let i = 0; i < RUNS; i++) {
  const s = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  walls.push(performance.now() - s);
  if (r.status !== 0) throw new Error(`archive report exited ${r.status}: ${r.stderr}`);
  last = JSON.parse(r.stdout);
}
// And the library call in-process, for the split between SQL, thumbnails and rendering.
const ws2 = openWorkspace(wsDir);
let lib;
try {
  lib = await buildReport({ root: wsDir, catalog: ws2.catalog, cachedThumbsOnly: true });
} finally {
  ws2.close();
}
walls.sort((a, b) => a - b);
const median = walls[Math.floor(walls.length / 2)];
const items = N;
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const md = `## archive report on a ${items.toLocaleString("en-US")}-item catalog

Command: \`npx turbo run build && node bench/report.mjs --items ${N} --runs ${RUNS}\`
(${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${cpus()[0]?.model ?? "?"}, Node ${process.version}; 1-min load average
${loadAtStart.toFixed(1)} at the start and ${loadavg()[0].toFixed(1)} at the end: other work shares this machine, so times vary run to run)

Synthetic catalog written directly with SQL (core's \`openWorkspace\`): ${items.toLocaleString("en-US")} items over
2008-2025, photos (HEIC/JPEG), videos, Live Photo pairs, RAW, sidecars, ten device models, ~25% rotated,
some HDR, a job journal with converted/copied/duplicate/skipped/failed jobs, plan/convert/verify runs.
Built in ${s(tCatalog)}. ${realIds.length} sampled items have real files; their ${thumbs.generated} thumbnails were made
once beforehand in ${s(tThumbs)} (sharp; HEIC through our wasm decoder takes ~1-2 s per 12 MP photo instead).

| measure | time |
|---|---|
| \`archive report -C WS --cached-only\`, wall, fresh process, median of ${RUNS} | **${s(median)}** (min ${s(walls[0])}, max ${s(walls.at(-1))}) |
| library \`buildReport\`: SQL aggregation | ${s(lib.timings.queryMs)} |
| library \`buildReport\`: thumbnails (all cached) | ${s(lib.timings.thumbsMs)} |
| library \`buildReport\`: render + atomic write | ${s(lib.timings.renderMs)} |

Page: ${(last.bytes / 1000).toFixed(0)} kB, ${last.months} months in the timeline, ${last.failures.toLocaleString("en-US")} failures listed,
${last.sampled} spot-check items. Target: under 10 s.
`;
writeFileSync(values.out, md);
process.stdout.write(md);
