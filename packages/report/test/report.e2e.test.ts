import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import sharp from "sharp";
import { openCatalog } from "@archive/core";
import { TIMELINE_WHERE, type ReportResult } from "@archive/report";
import { realFixtures } from "../../../test/support.js";

const execFileP = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const REAL = realFixtures() ?? "";
const haveReal = REAL !== "";
const CLI = join(repoRoot, "packages/cli/bin/archive.js");
const CHROMIUM = "/usr/bin/chromium";
const CI = process.env.CI === "true";

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  if (CI) throw new Error(`report: ${CHROMIUM} missing (CI=true: failing instead of skipping; apt-get install chromium)`);
  console.warn(`report: skipping the browser checks: ${CHROMIUM} not found (apt-get install chromium)`);
}

async function archive(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await execFileP(process.execPath, [CLI, ...args], { cwd, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: "1" } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** The page's HTML escapes undone (paths in attributes). */
const unesc = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

/** What `archive report --json` prints: the library's result. */
type ReportJson = ReportResult;

describe.skipIf(!haveReal)("archive report on the real fixtures", () => {
  let ws: string;
  let first: ReportJson;
  let second: ReportJson;
  let sqlMonths: number;

  beforeAll(async () => {
    ws = mkdtempSync(join(tmpdir(), "archive-report-"));
    const plan = await archive(["plan", REAL, "-q", "--json"], ws);
    expect(plan.code, plan.stderr).toBe(0);
    // A subset keeps the test short: 2023 has the rotated osxphotos/IMG_1853.HEIC (+ its edit),
    // the corrupt pillow_heif files (which fail) are dated by their mtime, whatever year that is.
    const corruptYear = String(new Date(statSync(join(REAL, "pillow_heif/truncated.heic")).mtimeMs).getUTCFullYear());
    for (const year of [...new Set(["2023", corruptYear])]) {
      const c = await archive(["convert", "--year", year, "-q", "--json"], ws);
      expect([0, 1], c.stderr).toContain(c.code);
    }
    const r1 = await archive(["report", "--json"], ws);
    expect(r1.code, r1.stderr).toBe(0);
    first = JSON.parse(r1.stdout) as ReportJson;
    const r2 = await archive(["report", "--json"], ws);
    expect(r2.code, r2.stderr).toBe(0);
    second = JSON.parse(r2.stdout) as ReportJson;
    const cat = openCatalog(join(ws, ".archive/catalog.db"), { readonly: true });
    try {
      sqlMonths = (cat.db.prepare(`SELECT COUNT(DISTINCT i.capture_year * 100 + i.capture_month) AS n FROM items i WHERE ${TIMELINE_WHERE}`).get() as { n: number }).n;
    } finally {
      cat.close();
    }
  });

  afterAll(() => {
    if (ws) rmSync(ws, { recursive: true, force: true });
  });

  it("writes the page, with thumbnails made once and then cached", () => {
    expect(first.file).toBe(join(ws, "report", "index.html"));
    expect(existsSync(first.file)).toBe(true);
    expect(first.months).toBe(sqlMonths);
    expect(sqlMonths).toBeGreaterThan(10);
    expect(first.sampled).toBeGreaterThan(2);
    expect(first.thumbErrors).toEqual([]);
    expect(first.thumbsGenerated).toBe(first.sampled * 2);
    expect(second.thumbsGenerated).toBe(0);
    expect(second.thumbsCached).toBe(first.sampled * 2);
  });

  it("the Accounting section's ledger adds up with 0 unaccounted, part of the library archived, the rest pending", async () => {
    const html = await readFile(first.file, "utf8");
    const m = /Ledger: (\d+) in = (\d+) archived \+ (\d+) duplicates \+ (\d+) deleted \+ (\d+) unreadable \+ (\d+) pending \+ (\d+) excluded; (\d+) unaccounted/.exec(html);
    expect(m, "the ledger line is on the page").not.toBeNull();
    const [total, archived, dups, deleted, unreadable, pending, excluded, unaccounted] = m!.slice(1).map(Number) as number[];
    expect(unaccounted).toBe(0);
    expect(archived! + dups! + deleted! + unreadable! + pending! + excluded!).toBe(total);
    expect(archived).toBeGreaterThan(0); // 2023 and the corrupt files' year were converted
    expect(pending).toBeGreaterThan(0); // the other years were not
    expect(unreadable).toBe(4);
  });

  it("names each photo's ICC profile as exiftool reads it from the source and the archived file (QA: every card said 'ICC none')", async () => {
    const html = await readFile(first.file, "utf8");
    const cards = [...html.matchAll(/<div class="card" data-item="([^"]+)" data-kind="photo"[\s\S]*?alt="archived ([^"]+)"[\s\S]*?data-icc="([^"]+)"/g)];
    expect(cards.length).toBeGreaterThan(0);
    const icc = async (f: string) => (await execFileP("exiftool", ["-s3", "-ICC_Profile:ProfileDescription", f])).stdout.trim() || "none";
    for (const [, rel, out, shown] of cards) {
      const [src, dst] = [await icc(join(REAL, unesc(rel!))), await icc(join(ws, unesc(out!)))];
      expect(unesc(shown!), rel).toBe(src === dst ? src : `${src} → ${dst}`);
    }
    expect(cards.some((c) => c[3] === "Display P3")).toBe(true);
  });

  describe.skipIf(!haveChromium)("in headless Chromium", () => {
    it("shows every month, names the corrupt files, shows the rotated photo upright, works offline and in dark mode", async () => {
      const { chromium } = await import("playwright-core");
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
        const remote: string[] = [];
        page.on("request", (r) => {
          if (!r.url().startsWith("file:")) remote.push(r.url());
        });
        await page.goto(pathToFileURL(first.file).href, { waitUntil: "load" });

        // Timeline: one group per month with items, as many as SQL counts.
        const months = await page.$$eval("#timeline g.month", (gs) => gs.map((g) => g.getAttribute("data-month")));
        expect(months.length).toBe(sqlMonths);
        expect(new Set(months).size).toBe(sqlMonths);

        // Failures: the corrupt files by path, each with a reason.
        const failed = await page.$$eval("#failures li", (lis) => lis.map((li) => ({ path: li.getAttribute("data-path"), text: li.textContent ?? "" })));
        const paths = failed.map((f) => f.path);
        expect(paths).toContain("pillow_heif/truncated.heic");
        expect(paths).toContain("pillow_heif/empty.heic");
        expect(failed.find((f) => f.path === "pillow_heif/truncated.heic")!.text).toMatch(/truncated/i);

        // Spot check: IMG_1853.HEIC is displayed 3024x4032 (portrait); both thumbnails must be portrait.
        const card = page.locator('.card[data-item="osxphotos/IMG_1853.HEIC"]');
        await expect(card.count()).resolves.toBe(1);
        expect(await card.getAttribute("data-displayed")).toBe("3024x4032");
        const sizes = await card.locator("img").evaluateAll((imgs) => imgs.map((i) => [(i as HTMLImageElement).naturalWidth, (i as HTMLImageElement).naturalHeight]));
        expect(sizes).toHaveLength(2);
        for (const [w, h] of sizes) {
          expect(w).toBeGreaterThan(0);
          expect(h / w!).toBeCloseTo(4032 / 3024, 1);
        }
        // Every thumbnail on the page loaded.
        const broken = await page.$$eval("img", (imgs) => imgs.filter((i) => !(i as HTMLImageElement).naturalWidth).map((i) => i.getAttribute("src")));
        expect(broken).toEqual([]);
        expect(remote).toEqual([]);

        // Readable on a phone: nothing but the timeline's own scroller is wider than the screen.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
        expect(overflow).toBeLessThanOrEqual(390);

        mkdirSync(join(repoRoot, "test-results"), { recursive: true });
        await page.screenshot({ path: join(repoRoot, "test-results/report.png"), fullPage: true });

        // prefers-color-scheme: the dark palette applies.
        const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        await page.emulateMedia({ colorScheme: "dark" });
        const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        expect(light).toBe("rgb(255, 255, 255)");
        expect(dark).not.toBe(light);
        await page.screenshot({ path: join(repoRoot, "test-results/report-dark.png") });
      } finally {
        await browser.close();
      }
    });
  });
});

/** Mean absolute difference per channel (0-255) of two images scaled to 16x16. */
async function difference(a: string, b: string, rotateA = 0): Promise<number> {
  const small = (f: string, r: number) => sharp(f).rotate(r).resize(16, 16, { fit: "fill" }).removeAlpha().raw().toBuffer();
  const [x, y] = await Promise.all([small(a, rotateA), small(b, 0)]);
  let d = 0;
  for (let i = 0; i < x.length; i++) d += Math.abs(x[i]! - y[i]!);
  return d / x.length;
}

// The committed sample library: IMG_0201.HEIC has no irot, only EXIF Orientation 6 (Rotate 90 CW),
// so a viewer shows it portrait; its source thumbnail was sideways beside the upright JPEG.
describe.skipIf(!haveChromium)("archive report on the sample library, in headless Chromium", () => {
  let ws: string;
  let tmp: string;
  let report: ReportJson;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "archive-report-sample-"));
    ws = join(tmp, "ws");
    const plan = await archive(["plan", join(repoRoot, "sample/library"), "-C", ws, "-q", "--json"], tmp);
    expect(plan.code, plan.stderr).toBe(0);
    const c = await archive(["convert", "--kind", "photo", "-C", ws, "-q", "--json"], tmp);
    expect([0, 1], c.stderr).toContain(c.code); // IMG_0999.HEIC is corrupt on purpose
    const r = await archive(["report", "-C", ws, "--json"], tmp);
    expect(r.code, r.stderr).toBe(0);
    report = JSON.parse(r.stdout) as ReportJson;
  });
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("shows the EXIF-rotated IMG_0201 upright on both sides, with the same picture, and names the unreadable file as unresolved", async () => {
    expect(report.unresolved).toBe(1);
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
      await page.goto(pathToFileURL(report.file).href, { waitUntil: "load" });
      const card = page.locator('.card[data-item="IMG_0201.HEIC"]');
      await expect(card.count()).resolves.toBe(1);
      const imgs = await card.locator("img").evaluateAll((els) =>
        els.map((i) => ({ src: i.getAttribute("src")!, w: (i as HTMLImageElement).naturalWidth, h: (i as HTMLImageElement).naturalHeight })),
      );
      expect(imgs).toHaveLength(2);
      // displayed 480x640: portrait, as the browser decodes each thumbnail
      for (const i of imgs) {
        expect(i.w).toBeGreaterThan(0);
        expect(i.h / i.w).toBeCloseTo(640 / 480, 1);
      }
      // and the same picture, not a mirrored or upside-down one
      const [src, out] = imgs.map((i) => join(dirname(report.file), i.src)) as [string, string];
      const same = await difference(src, out);
      expect(same).toBeLessThan(8);
      expect(await difference(src, out, 180)).toBeGreaterThan(same * 4 + 20);

      const unresolved = await page.$$eval("#unresolved li", (lis) => lis.map((li) => [li.getAttribute("data-path"), li.getAttribute("data-state")]));
      expect(unresolved).toEqual([["IMG_0999.HEIC", "unresolved"]]);
    } finally {
      await browser.close();
    }
  });
});
