import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openWorkspace, sourceId, type Workspace } from "@archive/core";
import { duplicates, failures, jobCounts, renderHtml, sample, timeline, withIcc, type ReportData } from "@archive/report";

interface Row {
  rel: string; kind?: string; format?: string; year?: number | null; month?: number | null; orientation?: number; hdr?: string | null;
  sha?: string | null; ino?: number; size?: number; error?: string | null; job?: [string, string, string | null] | null; model?: string;
}

/** A workspace with items, jobs and Live Photo groups described inline. */
function build(ws: Workspace, rows: Row[], live: [string, string][] = []): Map<string, number> {
  const cat = ws.catalog;
  const src = sourceId(cat, "/nonexistent-source");
  const ids = new Map<string, number>();
  cat.tx(() => {
    for (const r of rows) {
      const id = Number(
        cat.db
          .prepare(
            `INSERT INTO items (source_id, rel_path, name, dir, base_stem, variant, size, mtime_ms, dev, ino, format, kind, capture_year, capture_month, orientation, hdr, sha256, error, model, scanned_at)
             VALUES (?, ?, ?, '', ?, 'original', ?, 0, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'now')`,
          )
          .run(src, r.rel, r.rel, r.rel, r.size ?? 100, r.ino ?? ids.size + 1000, r.format ?? "jpeg", r.kind ?? "photo",
            r.year === undefined ? 2020 : r.year, r.month === undefined ? 1 : r.month, r.orientation ?? 1, r.hdr ?? null, r.sha ?? null, r.error ?? null, r.model ?? null).lastInsertRowid,
      );
      ids.set(r.rel, id);
      if (r.job) cat.db.prepare("INSERT INTO jobs (item_id, action, status, output_rel, reason, updated_at) VALUES (?, ?, ?, ?, ?, 'now')").run(id, r.job[0], r.job[1], r.job[1] === "done" ? `converted/${r.rel}` : null, r.job[2]);
    }
    for (const [a, b] of live) {
      const g = Number(cat.db.prepare("INSERT INTO groups (type, key) VALUES ('live', ?)").run(a).lastInsertRowid);
      cat.db.prepare("INSERT INTO group_members (group_id, item_id, role) VALUES (?, ?, 'photo'), (?, ?, 'video')").run(g, ids.get(a), g, ids.get(b));
    }
  });
  return ids;
}

describe("report queries on an inline catalog", () => {
  let dir: string;
  let ws: Workspace;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "archive-report-unit-"));
    ws = openWorkspace(dir, { create: true });
    build(
      ws,
      [
        { rel: "a.jpg", year: 2019, month: 3, job: ["copy", "done", null], model: "A" },
        { rel: "b.heic", format: "heic", year: 2019, month: 3, orientation: 6, job: ["convert", "done", null], model: "B" },
        { rel: "b.mov", kind: "video", format: "mov", year: 2019, month: 3, job: ["convert", "done", null] },
        { rel: "c.mov", kind: "video", format: "mov", year: 2021, month: 12, job: ["convert", "done", null] },
        { rel: "d.heic", format: "heic", year: 2021, month: 12, hdr: "gainmap", job: ["convert", "done", null], model: "B" },
        { rel: "e.jpg", year: null, month: null, job: ["copy", "done", null] },
        { rel: "bad.heic", format: "heic", year: 2021, month: 1, error: "truncated HEIF", job: ["convert", "failed", "truncated HEIF"] },
        { rel: "empty.heic", kind: "other", format: "empty", year: null, month: null, error: "empty file (0 bytes)" },
        { rel: "x.aae", kind: "sidecar", format: "aae", job: ["copy", "skipped", "orphan sidecar"] },
        { rel: "dup1.jpg", sha: "s1", size: 1000, ino: 1, year: 2018 },
        { rel: "dup2.jpg", sha: "s1", size: 1000, ino: 2, year: 2018 },
        { rel: "link.jpg", sha: "s1", size: 1000, ino: 2, year: 2018 },
        { rel: "<script>alert(1)</script>.jpg", year: 2018, month: 5, error: "<b>bad</b>" },
      ],
      [["b.heic", "b.mov"]],
    );
  });
  afterAll(() => {
    ws?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("counts months, with a Live Photo once and undated items apart", () => {
    const t = timeline(ws.catalog);
    expect(t.months.map((m) => `${m.year}-${m.month}`)).toEqual(["2018-1", "2018-5", "2019-3", "2021-1", "2021-12"]);
    expect(t.months.find((m) => m.year === 2019)).toMatchObject({ photos: 1, live: 1, videos: 0 });
    expect(t.months.find((m) => m.month === 12)).toMatchObject({ photos: 1, live: 0, videos: 1 });
    expect(t.undated).toBe(1);
  });

  it("counts jobs and lists failures from scan and convert once each", () => {
    expect(jobCounts(ws.catalog)).toMatchObject({ converted: 4, copied: 2, skipped: 1, failed: 1 });
    const f = failures(ws.catalog, 100);
    expect(f.total).toBe(3);
    expect(f.list.map((x) => [x.stage, x.path])).toEqual([
      ["scan", "<script>alert(1)</script>.jpg"],
      ["convert", "bad.heic"],
      ["scan", "empty.heic"],
    ]);
  });

  it("counts duplicates by SHA-256, a hard link not as a copy", () => {
    const d = duplicates(ws.catalog);
    expect(d).toMatchObject({ source: "sha256", groups: 1, files: 3, bytesSaved: 1000 });
  });

  it("samples rotated and HDR items first", () => {
    const s = sample(ws.catalog, 3);
    expect(s.slice(0, 2).map((x) => x.relPath).sort()).toEqual(["b.heic", "d.heic"]);
    expect(s[0]!.rotated || s[1]!.rotated).toBe(true);
    expect(sample(ws.catalog, 10, [ws.catalog.db.prepare("SELECT id FROM items WHERE rel_path = 'c.mov'").pluck().get() as number]).map((x) => x.relPath)).toEqual(["c.mov"]);
  });

  it("escapes names and reasons in the page", () => {
    const data: ReportData = {
      workspace: dir, generatedAt: "now", totals: { files: 1, bytes: 1, firstYear: 2018, lastYear: 2021 }, timeline: timeline(ws.catalog),
      bytesByYear: [], bytesByKind: [], plan: null, convert: null, jobs: jobCounts(ws.catalog), skipped: [], verify: null,
      failures: failures(ws.catalog, 100), duplicates: duplicates(ws.catalog), sample: [],
    };
    const html = renderHtml(data);
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<b>bad</b>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;.jpg");
    expect(html.match(/<g class="month"/g)).toHaveLength(5);
    expect(html).toContain("Not verified yet");
  });

  it("shows the latest verify run's checks", () => {
    const data = {
      workspace: dir, generatedAt: "now", totals: { files: 0, bytes: 0, firstYear: null, lastYear: null }, timeline: { months: [], undated: 0 },
      bytesByYear: [], bytesByKind: [], plan: null, convert: null, jobs: jobCounts(ws.catalog), skipped: [], failures: { list: [], total: 0 },
      duplicates: duplicates(ws.catalog), sample: [],
      verify: { finishedAt: "t", status: "failed", summary: { ok: false, checks: [{ name: "fixity", checked: 10, passed: 9, failed: 1, skipped: 0 }] } },
    } satisfies ReportData;
    const html = renderHtml(data);
    expect(html).toMatch(/<table id="verify">.*FAIL.*fixity.*9\/10/s);
    expect(html).toContain("some checks failed");
    expect(html).toContain("No failures.");
  });

  it("a verify run without ffmpeg: videos not checked are shown as such, never as passed", () => {
    const data = {
      workspace: dir, generatedAt: "now", totals: { files: 0, bytes: 0, firstYear: null, lastYear: null }, timeline: { months: [], undated: 0 },
      bytesByYear: [], bytesByKind: [], plan: null, convert: null, jobs: jobCounts(ws.catalog), skipped: [], failures: { list: [], total: 0 },
      duplicates: duplicates(ws.catalog), sample: [],
      verify: { finishedAt: "t", status: "failed", summary: { ok: false, checks: [{ name: "decode", checked: 9, passed: 9, failed: 0, skipped: 0, unchecked: 3 }] } },
    } satisfies ReportData;
    const html = renderHtml(data);
    expect(html).toMatch(/<table id="verify">.*SKIP.*decode.*9\/9<\/td><td class="n">0<\/td><td class="n">3<\/td>/s);
    expect(html).toContain("some files could not be checked");
  });
});

describe("withIcc", () => {
  it("attaches a profile that decoders read back unchanged", async () => {
    const icc = Buffer.from((await sharp({ create: { width: 2, height: 2, channels: 3, background: "red" } }).withIccProfile("p3").jpeg().toBuffer()).subarray(0));
    const p3 = (await sharp(icc).metadata()).icc!;
    const plain = await sharp({ create: { width: 4, height: 2, channels: 3, background: "blue" } }).jpeg().toBuffer();
    const tagged = withIcc(plain, p3);
    const meta = await sharp(tagged).metadata();
    expect(meta.width).toBe(4);
    expect(Buffer.compare(meta.icc!, p3)).toBe(0);
    expect(withIcc(plain, null)).toBe(plain);
  });
});
