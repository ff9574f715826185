import { copyFile, mkdir, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openCatalog, takeLock } from "@archive/core";
import { execFileP, hasTool, realFixtures, runArchive, tempDir, treeChecksum } from "../../../test/support.js";

interface PlanJson {
  totals: { files: number; bytes: number };
  byYear: Record<string, { files: number; bytes: number }>;
  byKind: Record<string, { files: number; bytes: number }>;
  livePhotoPairs: number;
  bursts: { groups: number; frames: number };
  edits: { sets: number; edited: number; sidecars: number; orphanSidecars: number };
  needsConversion: { files: number; bytes: number };
  estimate: { outputBytes: number; seconds: number };
  unreadable: { path: string; reason: string }[];
  batches: { name: string; files: number; bytes: number }[];
  albums: { name: string; files: number }[];
  weakCaptureTime: { files: number };
  scan: { read: number; unchanged: number; skipped: { path: string; reason: string }[]; csvProblems: { path: string; reason: string }[] };
  ledger: { in: number; archived: number; duplicates: number; deleted: number; unreadable: number; pending: number; excluded: number; unaccounted: number; rowsWithoutFile: { csv: string; line: number; name: string }[]; rowsWithoutFileCount: number };
}

/** The ledger's statuses add up to what came in, with nothing unaccounted (what a user checks). */
function expectBalanced(l: PlanJson["ledger"]): void {
  expect(l.unaccounted).toBe(0);
  expect(l.archived + l.duplicates + l.deleted + l.unreadable + l.pending + l.excluded).toBe(l.in);
}

async function plan(src: string, ws: string, extra: string[] = []): Promise<PlanJson> {
  const r = await runArchive(["plan", src, "-C", ws, "--json", ...extra]);
  if (r.code !== 0) throw new Error(`archive plan exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as PlanJson;
}

type Row = Record<string, unknown>;
/** Catalog rows by relative path (read-only, after the CLI has exited). */
function items(ws: string): Map<string, Row> {
  const cat = openCatalog(join(ws, ".archive/catalog.db"), { readonly: true });
  try {
    const rows = cat.db.prepare("SELECT * FROM items WHERE missing = 0").all() as Row[];
    return new Map(rows.map((r) => [String(r.rel_path), r]));
  } finally {
    cat.close();
  }
}

const real = realFixtures();
const haveExiftool = await hasTool("exiftool", ["-ver"]);
const haveFfmpeg = await hasTool("ffmpeg", ["-version"]);

describe.skipIf(!real)("archive plan on the real fixtures", () => {
  let ws: string;
  let first: PlanJson;
  let second: PlanJson;
  let before: string;
  beforeAll(async () => {
    before = treeChecksum(real!);
    ws = await tempDir();
    first = await plan(real!, ws);
    second = await plan(real!, ws);
  });

  it("finds the three Live Photo pairs, the burst pair and the edit sets", () => {
    expect(first.livePhotoPairs).toBe(3);
    expect(first.bursts).toEqual({ groups: 1, frames: 2 });
    // IMG_1853 (+ IMG_E1853 + AAE) and IMG_3582 (+ IMG_3582.AAE + IMG_O3582.aae); wedding.AAE is an orphan
    expect(first.edits).toMatchObject({ sets: 2, edited: 1, sidecars: 4, orphanSidecars: 1 });
    const cat = openCatalog(join(ws, ".archive/catalog.db"), { readonly: true });
    try {
      const live = cat.db
        .prepare("SELECT g.key, group_concat(i.rel_path, '|') AS paths FROM groups g JOIN group_members m ON m.group_id = g.id JOIN items i ON i.id = m.item_id WHERE g.type = 'live' GROUP BY g.id ORDER BY g.key")
        .all() as { key: string; paths: string }[];
      expect(live.map((l) => l.paths.split("|").sort())).toEqual(
        expect.arrayContaining([
          ["osxphotos/IMG_3582.HEIC", "osxphotos/IMG_3582.mov"],
          ["osxphotos/IMG_4394.HEIC", "osxphotos/IMG_4394.mov"],
          ["lychee/train.jpg", "lychee/train.mov"],
        ]),
      );
    } finally {
      cat.close();
    }
  });

  it("reports every corrupt or empty file as unreadable with a reason", () => {
    const byPath = new Map(first.unreadable.map((u) => [u.path, u.reason]));
    for (const p of ["exiv2/issue_1793_poc.heic", "exiv2/issue_ghsa_fgw8_p7pr_37cp_poc.mov", "pillow_heif/truncated.heic", "pillow_heif/empty.heic"]) {
      expect(byPath.get(p), p).toMatch(/\w{4,}/);
    }
    expect(byPath.get("pillow_heif/empty.heic")).toMatch(/empty/);
    expect(byPath.get("pillow_heif/truncated.heic")).toMatch(/truncated/);
    // and nothing valid is called unreadable
    expect(first.unreadable).toHaveLength(4);
  });

  it("identifies .heif and extension-less files by their content", () => {
    const it = items(ws);
    expect(it.get("exif-samples/HMD_Nokia_8.3_5G.heif")).toMatchObject({ format: "heic", kind: "photo", needs_conversion: 1 });
    expect(it.get("lychee/mongolia")).toMatchObject({ format: "jpeg", kind: "photo", needs_conversion: 0, capture_year: 2011 });
    expect(it.get("osxphotos/IMG_2908.PNG")).toMatchObject({ format: "png", capture_source: "xmp", capture_year: 2015 });
  });

  it.each([
    ["osxphotos/IMG_3582.HEIC", "2025-05-26T09:27:06.603", "-05:00", "exif", 4284, 5712],
    ["osxphotos/IMG_3582.mov", "2025-05-26T09:27:06", "-05:00", "quicktime", 1440, 1920],
    ["lychee/train.jpg", "2021-04-10T11:44:00.814", "+01:00", "exif", 4032, 3024],
    ["exiv2/2021-02-13-1929.heic", "2021-02-13T11:03:31.864", "-06:00", "exif", 3024, 4032],
    ["exoplayer/dolbyVision-hdr.MOV", "2023-05-09T12:41:46", "+01:00", "quicktime", 720, 1280],
    ["osxphotos/IMG_3539.MOV", "2016-01-18T15:20:40", "-07:00", "quicktime", 1080, 1920],
    ["metadata-extractor-images/Issue 437 (dotnet).heic", "2025-05-09T11:38:44.823", "+02:00", "exif", 1848, 4000],
    // XMP CreateDate "2024:04:22 14:38:09.526GMT+02:00" (Vision Pro): the offset after "GMT" is kept
    ["pillow_heif/spatial_photo.heic", "2024-04-22T14:38:09.526", "+02:00", "exif", 2560, 2560],
    // no DateTimeOriginal: the camera's ModifyDate beats the file's mtime
    ["exif-samples/HMD_Nokia_8.3_5G.heif", "2022-02-03T14:44:07.722", null, "exif", 3456, 4608],
    ["exiv2/IMG_1361.dng", "2020-12-29T14:24:45.700", "-05:00", "exif", null, null],
  ])("%s: capture %s%s from %s, displayed %sx%s", (rel, local, offset, source, w, h) => {
    const row = items(ws).get(rel)!;
    expect(row).toMatchObject({ capture_local: local, capture_offset: offset, capture_source: source, capture_year: Number(local.slice(0, 4)) });
    if (w !== null) expect([row.width, row.height]).toEqual([w, h]);
  });

  it("videos are read by the QuickTime parser with exiftool's answers (and the HDR clip is seen as 10-bit HLG)", () => {
    const it = items(ws);
    expect(it.get("exoplayer/dolbyVision-hdr.MOV")).toMatchObject({ codec: "hevc", bit_depth: 10, hdr: "HLG", rotation: 90, make: "Apple", model: "iPhone 14 Pro", gps_lat: 51.5334, gps_lon: -0.1255 });
    expect(it.get("lychee/train.mov")).toMatchObject({ codec: "h264", bit_depth: 8, hdr: null, rotation: 0, width: 1440, height: 1080, content_id: "E905E6C6-C747-4805-942F-9904A0281F02" });
    expect(it.get("metadata-extractor-images/with-gps.mov")).toMatchObject({ gps_lat: 32.0929, gps_lon: 34.862, model: "iPhone 6", width: 320, height: 568 });
    expect(Number(it.get("osxphotos/IMG_3582.mov")!.duration)).toBeCloseTo(1.91, 2);
    expect(first.needsConversion).toMatchObject({ videos: 3, hdrVideos: 1 });
  });

  it("the second run re-reads nothing", () => {
    expect(first.scan.read).toBe(first.totals.files);
    expect(second.scan.read).toBe(0);
    expect(second.scan.unchanged).toBe(first.totals.files);
    // the same answer (free space on the destination may move between runs)
    const { scan: _a, destination: _c, batchSize: _e, ...a } = first;
    const { scan: _b, destination: _d, batchSize: _f, ...b } = second;
    expect(b).toEqual(a);
  });

  it("never writes to the source tree", () => {
    expect(treeChecksum(real!)).toBe(before);
  });

  it("the ledger accounts for every file: all pending before convert, the unreadable ones unreadable, 0 unaccounted", () => {
    expectBalanced(first.ledger);
    expect(first.ledger).toMatchObject({ in: first.totals.files, archived: 0, unreadable: 4, pending: first.totals.files - 4, excluded: 0, rowsWithoutFileCount: 0 });
    expect(second.ledger).toEqual(first.ledger);
  });

  it("prints batches and an estimate that add up", () => {
    expect(first.batches.reduce((n, b) => n + b.files, 0)).toBe(first.totals.files);
    expect(first.estimate.outputBytes).toBeGreaterThan(0);
    expect(first.needsConversion.files).toBeGreaterThan(15);
  });

  it("a second plan on a workspace whose lock is held is refused", async () => {
    const release = takeLock(join(ws, ".archive"));
    try {
      const r = await runArchive(["plan", real!, "-C", ws, "--json"]);
      expect(r.code).toBe(3);
      expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: "E_LOCKED" } });
      expect(r.stderr).toMatch(/another archive process/);
    } finally {
      release();
    }
    const again = await plan(real!, ws);
    expect(again.scan.read).toBe(0);
  });

  it("human output mentions the pairs, unreadable files and batches", async () => {
    const r = await runArchive(["plan", real!, "-C", ws]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Live Photo pairs 3/);
    expect(r.stdout).toMatch(/Unreadable: 4 entries/);
    const l = await plan(real!, ws);
    expect(r.stdout).toContain(`Ledger: ${l.ledger.in} in = 0 archived + 0 duplicates + 0 deleted + ${l.ledger.unreadable} unreadable + ${l.ledger.pending} pending + ${l.ledger.excluded} excluded; 0 unaccounted`);
    expect(r.stdout).toMatch(/archive convert --year 2025/);
  });
});

describe.skipIf(!real || !haveExiftool)("capture year comes from the file's own offset", () => {
  it("23:30 on 31 Dec at -05:00 counts in 2023, 00:30 on 1 Jan at +09:00 in 2024", async () => {
    const src = await tempDir();
    const ws = await tempDir();
    await copyFile(join(real!, "metadata-extractor-images/Apple iPhone 4.jpg"), join(src, "nye-newyork.jpg"));
    await copyFile(join(real!, "metadata-extractor-images/Apple iPhone 4.jpg"), join(src, "nye-tokyo.jpg"));
    await copyFile(join(real!, "metadata-extractor-images/with-gps.mov"), join(src, "nye-newyork.mov"));
    const et = (...a: string[]) => execFileP("exiftool", ["-q", "-overwrite_original", ...a]);
    await et("-DateTimeOriginal=2023:12:31 23:30:00", "-OffsetTimeOriginal=-05:00", join(src, "nye-newyork.jpg"));
    await et("-DateTimeOriginal=2024:01:01 00:30:00", "-OffsetTimeOriginal=+09:00", join(src, "nye-tokyo.jpg"));
    await et("-Keys:CreationDate=2023:12:31 23:30:00-05:00", "-QuickTime:CreateDate=2024:01:01 04:30:00", join(src, "nye-newyork.mov"));
    const p = await plan(src, ws);
    const it = items(ws);
    expect(it.get("nye-newyork.jpg")).toMatchObject({ capture_year: 2023, capture_offset: "-05:00", capture_source: "exif" });
    expect(it.get("nye-tokyo.jpg")).toMatchObject({ capture_year: 2024, capture_offset: "+09:00", capture_source: "exif" });
    expect(it.get("nye-newyork.mov")).toMatchObject({ capture_year: 2023, capture_local: "2023-12-31T23:30:00", capture_source: "quicktime" });
    expect(p.byYear["2023"]?.files).toBe(2);
    expect(p.byYear["2024"]?.files).toBe(1);
    // the tokyo photo is 2023 in UTC, and 2024 where it was taken
    expect(Number(it.get("nye-tokyo.jpg")!.capture_utc_ms)).toBe(Date.UTC(2023, 11, 31, 15, 30));
  });
});

describe.skipIf(!haveFfmpeg)("Apple privacy-export layout", () => {
  let src: string;
  let ws: string;
  let p: PlanJson;
  const part1 = "iCloud Photos Part 1 of 2/iCloud Photos";
  const part2 = "iCloud Photos Part 2 of 2/iCloud Photos";
  beforeAll(async () => {
    src = await tempDir();
    ws = await tempDir();
    // a tiny JPEG without any EXIF, copied under each name
    const tiny = join(src, "..", `tiny-${process.pid}-${Date.now()}.jpg`);
    await execFileP("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "color=c=teal:s=64x48", "-frames:v", "1", "-y", tiny]);
    const old = new Date("2020-06-01T12:00:00Z"); // an export's mtimes are the zip's, not the capture
    const put = async (rel: string) => {
      await mkdir(join(src, rel, ".."), { recursive: true });
      await copyFile(tiny, join(src, rel));
      await utimes(join(src, rel), old, old);
    };
    for (const n of ["IMG_0001.JPG", "IMG_0002.JPG", "IMG_0003.JPG", "IMG_0004.JPG"]) await put(`${part1}/Photos/${n}`);
    await put(`${part1}/secret.jpg`); // what "../secret.jpg" would point at if a name were used as a path
    await put(`${part2}/Photos/IMG_0001.JPG`); // the same name in another part: a different photo
    const header = "imgName,fileChecksum,favorite,hidden,deleted,originalCreationDate,viewCount,importDate\n";
    await writeFile(
      join(src, part1, "Photo Details.csv"),
      header +
        'IMG_0001.JPG,abc=,no,no,no,"Monday June 5,2023 7:33 PM GMT",3,"Monday June 5,2023 7:40 PM GMT"\n' +
        'IMG_0002.JPG,def=,yes,no,no,"Sunday December 31,2023 11:59 PM GMT",0,"Monday January 1,2024 8:00 AM GMT"\n' +
        'IMG_0003.JPG,ghi=,no,no,no,"not a date",0,\n' +
        '../secret.jpg,jkl=,no,no,no,"Friday January 1,2010 1:00 PM GMT",0,\n' +
        '"broken,row\n',
    );
    await writeFile(join(src, part2, "Photo Details.csv"), header + 'IMG_0001.JPG,xyz=,no,no,no,"Saturday March 2,2019 10:00 AM GMT",1,\n');
    await mkdir(join(src, part1, "Albums"), { recursive: true });
    await writeFile(join(src, part1, "Albums", "Holiday.csv"), "Images\nIMG_0001.JPG\nIMG_0002.JPG\n../secret.jpg\nIMG_9999.JPG\n");
    p = await plan(src, ws);
  });

  it("takes capture years from Photo Details.csv, each part for its own files", () => {
    const it = items(ws);
    expect(it.get(`${part1}/Photos/IMG_0001.JPG`)).toMatchObject({ capture_source: "csv", capture_local: "2023-06-05T19:33:00", capture_offset: "+00:00", capture_year: 2023 });
    expect(it.get(`${part1}/Photos/IMG_0002.JPG`)).toMatchObject({ capture_source: "csv", capture_year: 2023 });
    expect(it.get(`${part2}/Photos/IMG_0001.JPG`)).toMatchObject({ capture_source: "csv", capture_year: 2019 });
    expect(p.byYear["2023"]?.files).toBe(2);
    expect(p.byYear["2019"]?.files).toBe(1);
  });

  it("a row with an unreadable date, a malformed row and a ../ name are reported, never used", () => {
    const it = items(ws);
    expect(it.get(`${part1}/Photos/IMG_0003.JPG`)).toMatchObject({ capture_source: "mtime", capture_year: 2020 });
    expect(it.get(`${part1}/secret.jpg`)).toMatchObject({ capture_source: "mtime", capture_year: 2020 });
    const reasons = p.scan.csvProblems.map((x) => `${x.path}: ${x.reason}`).join("\n");
    expect(reasons).toMatch(/unreadable date "not a date"/);
    expect(reasons).toMatch(/unsafe file name/);
    expect(p.weakCaptureTime.files).toBe(3); // IMG_0003, IMG_0004, secret.jpg
  });

  it("takes album membership from Albums/*.csv (only names that exist, never a path)", () => {
    expect(p.albums).toEqual([{ name: "Holiday", files: 2 }]);
  });

  it("the ledger balances; the album row naming no file is listed", () => {
    expectBalanced(p.ledger);
    // 6 photos to convert, the 3 CSVs excluded as the export's metadata
    expect(p.ledger).toMatchObject({ in: 9, pending: 6, excluded: 3, unreadable: 0 });
    expect(p.ledger.rowsWithoutFile.map((o) => [o.line, o.name])).toEqual([[5, "IMG_9999.JPG"], [6, "broken,row"]]);
  });

  it("CSV files are catalogued as other, not unreadable", () => {
    expect(p.unreadable).toEqual([]);
    expect(p.byKind.other?.files).toBe(3);
  });
});

describe("odd trees do not crash the scan", () => {
  let src: string;
  let ws: string;
  let p: PlanJson;
  beforeAll(async () => {
    src = await tempDir();
    ws = await tempDir();
    await mkdir(join(src, "x.heic"));
    await mkdir(join(src, "sub"));
    await symlink("does-not-exist.jpg", join(src, "dangling.jpg"));
    await symlink("loop-b", join(src, "loop-a"));
    await symlink("loop-a", join(src, "loop-b"));
    await symlink("..", join(src, "sub", "up")); // a folder link back to the root: never followed
    const random = Buffer.alloc(4096);
    for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
    await writeFile(join(src, "random.heic"), random);
    await writeFile(join(src, "notes.txt"), "hello\n");
    await writeFile(join(src, ".DS_Store"), "junk");
    await writeFile(join(src, "._IMG_0001.HEIC"), "apple double");
    p = await plan(src, ws);
  });

  it("random bytes named .heic are unreadable with a reason", () => {
    expect(p.unreadable).toEqual(expect.arrayContaining([{ path: "random.heic", reason: expect.stringMatching(/not a photo or video|unrecognised/) }]));
  });
  it("dangling links and link loops are reported; folders and folder links are not files", () => {
    const reasons = Object.fromEntries([...p.unreadable, ...p.scan.skipped].map((u) => [u.path, u.reason]));
    expect(reasons["dangling.jpg"]).toMatch(/dangling/);
    expect(reasons["loop-a"]).toMatch(/loop/);
    expect(reasons["loop-b"]).toMatch(/loop/);
    expect(reasons["sub/up"]).toMatch(/not followed/);
    expect(reasons["x.heic"]).toBeUndefined();
    // random.heic and notes.txt; .DS_Store and AppleDouble files are ignored
    expect(p.totals.files).toBe(2);
  });
});
