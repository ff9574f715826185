// End-to-end: `archive plan` + `archive convert` (the built CLI) on ../shared/fixtures/real.
// One workspace is converted once in beforeAll (dry run, then --year 2025, then everything, then
// a second run) and every test reads the result: the suite runs on 2 busy cores.
import { existsSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExifTool, type ExifTool } from "@archive/core";
import type { ConvertResult } from "@archive/convert";
import {
  archiveJson,
  ffprobe,
  hasTool,
  journal,
  listFiles,
  readTags,
  realFixtures,
  sha256File,
  tempDir,
  tempFiles,
  treeChecksum,
  type JobRow,
  type Tags,
} from "./helpers.js";

const real = realFixtures();
const haveFfprobe = await hasTool("ffprobe", ["-version"]);

const P3 = "Display P3";
// Facts from the fixtures' SOURCES.md (libheif box walk), not from our own reader: exiftool 12.x
// and 35.x miss irot and read the gain map's ICC on iOS 18 files.
//   [source, irot, displayed width, displayed height, ICC description, Orientation expected]
const HEICS: [string, number | null, number, number, string | null, number][] = [
  ["osxphotos/IMG_3582.HEIC", 270, 4284, 5712, P3, 1], // iOS 18, 24 MP, 640x896 tiles
  ["osxphotos/IMG_4394.HEIC", 270, 3024, 4032, P3, 1], // iOS 18
  ["osxphotos/IMG_1853.HEIC", 270, 3024, 4032, P3, 1],
  ["osxphotos/IMG_E1853.heic", 0, 3024, 4032, P3, 1],
  ["osxphotos/IMG_0102.HEIC", 270, 2320, 3088, P3, 1],
  ["lychee/classic-car.heic", 270, 3024, 4032, P3, 1],
  ["exiv2/2021-02-13-1929.heic", 270, 3024, 4032, P3, 1],
  ["metadata-extractor-images/IMG_2927.HEIC", 0, 3024, 4032, P3, 1],
  // Samsung: rotation only in EXIF; pixels stay stored 4000x1848 and Orientation 6 is kept
  ["metadata-extractor-images/Issue 437 (dotnet).heic", null, 1848, 4000, "DCI-P3 D65 Gamut with sRGB Transfer", 6],
  ["exifr/heic-iphone7.heic", 0, 4032, 3024, P3, 1],
  ["pillow_heif/spatial_photo.heic", null, 2560, 2560, P3, 1],
  ["pillow_heif/empty_icc.heic", null, 1025, 900, P3, 1],
  ["exif-samples/iphone_13_pro_max.HEIC", 270, 3024, 4032, P3, 1],
  // irot 270 but EXIF Orientation 1: irot wins (the HEIF rule), with a warning; no ICC at all
  ["exif-samples/HMD_Nokia_8.3_5G.heif", 270, 3456, 4608, null, 1],
  ["immich/IMG_2682.heic", 0, 4032, 3024, P3, 1],
];
// byte-identical: exactly one of them is converted (checked below), the other is a duplicate
const DUP_PAIR = ["metadata-extractor-images/IMG_1034.heic", "exifr/heic-maybebroken.HEIC"];
const VIDEOS = ["osxphotos/IMG_3582.mov", "osxphotos/IMG_4394.mov", "exoplayer/dolbyVision-hdr.MOV"];
const UNIVERSAL = [
  "lychee/train.jpg",
  "lychee/train.mov",
  "osxphotos/IMG_3539.MOV",
  "metadata-extractor-images/with-gps.mov",
  "metadata-extractor-images/Apple iPhone 4.jpg",
  "lychee/mongolia",
  "osxphotos/IMG_2908.PNG",
  "osxphotos/7B85B835-AB73-46B1-8840-6BA63FB2D9DD.jpeg",
  "osxphotos/BB0F9F05-D186-4D43-9903-A4AD7A1BC8B0.jpeg",
  "exiv2/IMG_1361.dng",
];
const BROKEN: [string, RegExp][] = [
  ["exiv2/issue_1793_poc.heic", /truncated/],
  ["exiv2/issue_ghsa_fgw8_p7pr_37cp_poc.mov", /unreadable|no playable/],
  ["pillow_heif/empty.heic", /empty/],
  ["pillow_heif/truncated.heic", /truncated/],
];

describe.skipIf(!real)("archive convert on the real fixtures", () => {
  let ws: string;
  let sourceBefore: string;
  let sourceAfter: string;
  let dry: { code: number; json: ConvertResult };
  let dryFiles: string[];
  let dryJobs: number;
  let dryDirs: boolean[];
  let configBeforeDry: string;
  let configAfterDry: string;
  let year: { code: number; json: ConvertResult };
  let yearFiles: string[];
  let full: { code: number; json: ConvertResult };
  let outputsAfterFull: string;
  let second: { code: number; json: ConvertResult };
  let outputsAfterSecond: string;
  let jobs: Map<string, JobRow>;
  let et: ExifTool;
  const src = (rel: string) => join(real!, rel);
  const out = (rel: string) => {
    const j = jobs.get(rel);
    if (!j?.output_rel) throw new Error(`${rel}: no output in the journal (${JSON.stringify(j)})`);
    return join(ws, j.output_rel);
  };

  beforeAll(async () => {
    et = createExifTool();
    sourceBefore = treeChecksum(real!);
    ws = await tempDir("archive-convert-e2e-");
    const plan = await archiveJson<unknown>(ws, ["plan", real!]);
    if (plan.code !== 0) throw new Error(`plan exited ${plan.code}: ${plan.stderr}`);
    configBeforeDry = readFileSync(join(ws, ".archive/config.json"), "utf8");
    dry = await archiveJson<ConvertResult>(ws, ["convert", "--dry-run", "--layout", "date", "--quality", "50"]);
    dryFiles = listFiles(join(ws, "converted"));
    dryDirs = ["converted", "originals"].map((d) => existsSync(join(ws, d)));
    dryJobs = journal(ws).size;
    configAfterDry = readFileSync(join(ws, ".archive/config.json"), "utf8");
    year = await archiveJson<ConvertResult>(ws, ["convert", "--year", "2025"]);
    yearFiles = listFiles(join(ws, "converted"));
    const t0 = Date.now();
    full = await archiveJson<ConvertResult>(ws, ["convert"]);
    console.log(`full convert: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    outputsAfterFull = treeChecksum(join(ws, "converted"));
    second = await archiveJson<ConvertResult>(ws, ["convert"]);
    outputsAfterSecond = treeChecksum(join(ws, "converted"));
    sourceAfter = treeChecksum(real!);
    jobs = journal(ws);
  }, 1_200_000);

  afterAll(async () => {
    await et?.end();
  });

  it("--dry-run writes nothing and says what it would do", () => {
    expect(dryFiles).toEqual([]);
    expect(dryJobs).toBe(0);
    expect(dryDirs).toEqual([false, false]);
    // options given with --dry-run are not saved either
    expect(configAfterDry).toBe(configBeforeDry);
    const byPath = new Map(dry.json.planned.map((p) => [p.path, p]));
    expect(byPath.get("osxphotos/IMG_3582.HEIC")).toMatchObject({ action: "convert", output: "converted/2025/05/IMG_3582.jpg" });
    expect(byPath.get("osxphotos/IMG_3582.mov")).toMatchObject({ action: "convert", output: "converted/2025/05/IMG_3582.mp4" });
    expect(byPath.get("lychee/train.jpg")).toMatchObject({ action: "copy" });
    expect(byPath.get("pillow_heif/empty.heic")).toMatchObject({ action: "fail" });
  });

  it("--year 2025 converts only 2025, with Live Photo videos and AAE sidecars", () => {
    expect(year.code).toBe(0);
    expect(year.json.failed).toEqual([]);
    expect(yearFiles).toEqual(
      [
        "metadata-extractor-images/Issue 437 (dotnet).jpg",
        "osxphotos/IMG_3582.AAE",
        "osxphotos/IMG_3582.jpg",
        "osxphotos/IMG_3582.mp4",
        "osxphotos/IMG_4394.jpg",
        "osxphotos/IMG_4394.mp4",
        "osxphotos/IMG_O3582.aae",
      ].sort(),
    );
    // and the full run then took them as done
    expect(full.json.alreadyDone).toBe(yearFiles.length);
  });

  it("never writes to the source tree", () => {
    expect(sourceAfter).toBe(sourceBefore);
  });

  it("leaves no temporary files", () => {
    expect(tempFiles(ws)).toEqual([]);
  });

  it("reports corrupt, truncated and empty files as failed with reasons, exit code 1", () => {
    expect(full.code).toBe(1);
    const failed = new Map(full.json.failed.map((f) => [f.path, f.reason]));
    expect([...failed.keys()].sort()).toEqual(BROKEN.map(([p]) => p).sort());
    for (const [p, re] of BROKEN) {
      expect(failed.get(p), p).toMatch(re);
      expect(jobs.get(p)).toMatchObject({ status: "failed", output_rel: null });
    }
  });

  it("a second run converts and copies nothing and changes no output", () => {
    const s = second.json;
    expect(s.converted + s.copied + s.linked + s.duplicates).toBe(0);
    // everything that can be done is already done; only the unreadable (and non-media) remain
    expect(s.alreadyDone).toBe(s.selected - BROKEN.length - s.skipped.length);
    // the broken sources are still reported, as unresolved (still exit 1), not as new failures (issue 14 #7)
    expect(s.failed).toHaveLength(0);
    expect(s.unresolved.map((f) => f.path)).toEqual(expect.arrayContaining(BROKEN.map(([p]) => p)));
    expect(s.unresolved.filter((f) => BROKEN.some(([p]) => p === f.path))).toHaveLength(BROKEN.length);
    expect(second.code).toBe(1);
    expect(outputsAfterSecond).toBe(outputsAfterFull);
  });

  it("converts the byte-identical pair once and records the other as its duplicate", () => {
    const [a, b] = DUP_PAIR.map((p) => jobs.get(p)!);
    const pair = [a!, b!].sort((x, y) => x.action.localeCompare(y.action));
    expect(pair.map((j) => j.action)).toEqual(["convert", "duplicate"]);
    expect(pair[1]!.duplicate_of).toBe(pair[0]!.item_id);
    expect(pair[1]!.output_rel).toBeNull();
  });

  it("Live Photo pairs share a base name", () => {
    const stem = (rel: string) => posix.basename(jobs.get(rel)!.output_rel!).replace(/\.[^.]+$/, "");
    for (const [still, video] of [
      ["osxphotos/IMG_3582.HEIC", "osxphotos/IMG_3582.mov"],
      ["osxphotos/IMG_4394.HEIC", "osxphotos/IMG_4394.mov"],
      ["lychee/train.jpg", "lychee/train.mov"],
    ] as const) {
      expect(stem(video), `${still} + ${video}`).toBe(stem(still));
      expect(posix.dirname(jobs.get(video)!.output_rel!)).toBe(posix.dirname(jobs.get(still)!.output_rel!));
    }
  });

  it("the journal's output hash and size match every output file, and every output is journalled", async () => {
    const outputs = new Set<string>();
    for (const j of jobs.values()) {
      if (j.status !== "done" || !j.output_rel) continue;
      outputs.add(j.output_rel);
      expect(await sha256File(join(ws, j.output_rel)), j.output_rel).toBe(j.output_sha256);
    }
    expect(listFiles(join(ws, "converted")).map((p) => `converted/${p}`).sort()).toEqual([...outputs].sort());
  });

  it.each(UNIVERSAL)("%s is copied byte for byte", async (rel) => {
    expect(jobs.get(rel)).toMatchObject({ action: "copy", status: "done" });
    expect(jobs.get(rel)!.output_rel).toBe(`converted/${rel}`);
    expect(await sha256File(out(rel))).toBe(await sha256File(src(rel)));
  });

  it("every convert job of a photo is one of the decodable HEICs", () => {
    const converted = [...jobs.values()].filter((j) => j.action === "convert" && j.status === "done").map((j) => j.rel_path);
    const dupConverted = DUP_PAIR.filter((p) => jobs.get(p)!.action === "convert");
    expect(converted.sort()).toEqual([...HEICS.map(([p]) => p), ...dupConverted, ...VIDEOS].sort());
  });

  it.each([...HEICS, [DUP_PAIR[0]!, 0, 4032, 3024, P3, 1] as (typeof HEICS)[number]])(
    "%s -> JPEG: irot %s, displayed %sx%s, ICC %s, Orientation %s, metadata carried",
    async (rel, _irot, w, h, icc, orientation) => {
      const job = jobs.get(rel)!.action === "duplicate" ? jobs.get(DUP_PAIR.find((p) => p !== rel)!)! : jobs.get(rel)!;
      const file = join(ws, job.output_rel!);
      expect(job.output_rel).toMatch(/\.jpg$/);
      const meta = await sharp(file).metadata();
      expect(meta.format).toBe("jpeg");
      const [t, s] = await Promise.all([readTags(et, file), readTags(et, src(rel))]);
      expect(t.Orientation ?? 1).toBe(orientation);
      const swap = (meta.orientation ?? 1) >= 5;
      expect(swap ? [meta.height, meta.width] : [meta.width, meta.height]).toEqual([w, h]);
      expect(t.ProfileDescription ?? null).toBe(icc);
      for (const k of ["DateTimeOriginal", "OffsetTimeOriginal", "SubSecTimeOriginal", "Make", "Model"]) {
        expect(t[k], k).toEqual(s[k]);
      }
      for (const k of ["GPSLatitude", "GPSLongitude"]) {
        if (s[k] === undefined) expect(t[k], k).toBeUndefined();
        else expect(Number(t[k]), k).toBeCloseTo(Number(s[k]), 6);
      }
      expect(t.DateTimeOriginal !== undefined || rel.includes("spatial") || rel.includes("HMD")).toBe(true);
    },
  );

  it("the HMD Nokia's irot-vs-EXIF conflict is reported as a warning", () => {
    const w = full.json.warnings.filter((x) => x.path === "exif-samples/HMD_Nokia_8.3_5G.heif");
    expect(w.map((x) => x.message).join("\n")).toMatch(/rotation conflict.*irot says 270.*Orientation says 1/);
  });

  describe.skipIf(!haveFfprobe)("videos", () => {
    it.each(VIDEOS)("%s -> H.264 yuv420p MP4 with date, place, Live Photo id and duration kept", async (rel) => {
      const file = out(rel);
      expect(file).toMatch(/\.mp4$/);
      const [o, i] = await Promise.all([ffprobe(file), ffprobe(src(rel))]);
      const v = o.streams.find((x) => x.codec_type === "video")!;
      expect(v).toMatchObject({ codec_name: "h264", pix_fmt: "yuv420p" });
      expect(v.profile).not.toMatch(/10|4:2:2|4:4:4/);
      expect(o.format.format_name).toMatch(/mp4/);
      expect(Math.abs(Number(o.format.duration) - Number(i.format.duration))).toBeLessThanOrEqual(0.1);
      const [t, s] = await Promise.all([readTags(et, file), readTags(et, src(rel))]);
      expect(s.CreationDate).toMatch(/[+-]\d\d:\d\d$/);
      if (rel.startsWith("osxphotos/")) {
        // the Live Photo clips: make sure there is something to carry
        expect(s.ContentIdentifier).toMatch(/^[0-9A-F]{8}-[0-9A-F-]{27}$/);
        expect(String(s.GPSCoordinates)).toMatch(/^-?\d+\.\d+ -?\d+\.\d+/);
      }
      for (const k of ["CreationDate", "GPSCoordinates", "ContentIdentifier", "Make", "Model", "CreateDate"]) {
        expect(t[k], k).toEqual(s[k]);
      }
    });

    it("the Dolby Vision / HLG clip comes out 8-bit SDR BT.709", async () => {
      const o = await ffprobe(out("exoplayer/dolbyVision-hdr.MOV"));
      const v = o.streams.find((x) => x.codec_type === "video")!;
      expect(v).toMatchObject({ pix_fmt: "yuv420p", color_transfer: "bt709", color_primaries: "bt709", color_space: "bt709" });
      expect(v.bits_per_raw_sample ?? "8").toBe("8");
      expect(JSON.parse(jobs.get("exoplayer/dolbyVision-hdr.MOV")!.params!)).toMatchObject({ hdrToneMapped: true });
      // rotation kept exactly once: displayed portrait like the source (1280x720 stored, -90)
      const rot = v.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? 0;
      const [w, h] = Math.abs(rot) % 180 === 90 ? [v.height, v.width] : [v.width, v.height];
      expect([w, h]).toEqual([720, 1280]);
    });
  });
});
