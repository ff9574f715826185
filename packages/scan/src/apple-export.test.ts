// Apple privacy-export parts read in place (issue 10): zips built here from the real fixtures,
// scanned member by member, their CSVs applied; what a user would check, per part.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, truncate } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createExifTool,
  exportParts,
  filesWithoutCsvRow,
  itemLocation,
  itemOrganisation,
  openCatalog,
  orphanRows,
  sourceId,
  startRun,
  type Catalog,
  type ExifTool,
} from "@archive/core";
import { execFileP, hasTool, realFixtures, tempDir } from "../../../test/support.js";
import { patchName, writeZip, type MemberSpec } from "../../../test/zips.js";
import { applyLibraryExports, partScope, sharedAlbumOf } from "./apple-export.js";
import { parseAppleCsvDate, parseNameList, parsePhotoDetails, PHOTO_DETAILS_HEADER } from "./csv.js";
import { scanZipPart } from "./zip-scan.js";

const real = realFixtures();
const haveExiftool = await hasTool("exiftool", ["-ver"]);
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const H = PHOTO_DETAILS_HEADER + "\n";

describe("Apple's CSVs", () => {
  it("parses every Photo Details column; a different header is not a part", () => {
    const csv = Buffer.from(H + 'IMG_0861-1.MOV,AbC=,yes,no,yes,"Saturday June 4,2022 12:11 PM GMT",7,"Sunday June 5,2022 1:02 AM GMT"\n');
    const parsed = parsePhotoDetails(csv, "Photo Details.csv");
    expect(parsed?.problems).toEqual([]);
    expect(parsed?.rows[0]).toMatchObject({ line: 2, name: "IMG_0861-1.MOV", checksum: "AbC=", favorite: true, hidden: false, deleted: true, viewCount: 7 });
    expect(parsed?.rows[0]?.created).toMatchObject({ local: "2022-06-04T12:11:00", offset: "+00:00" });
    expect(parsed?.rows[0]?.imported).toMatchObject({ local: "2022-06-05T01:02:00" });
    expect(parsePhotoDetails(Buffer.from("imgName,originalCreationDate\nIMG_1.JPG,x\n"), "x.csv")).toBeNull();
    expect(parsePhotoDetails(Buffer.alloc(0), "Photo Details-1.csv")).toEqual({ rows: [], problems: [] });
  });
  it("dates like Saturday June 4,2022 12:11 PM GMT are GMT, minute precision", () => {
    expect(parseAppleCsvDate("Saturday June 4,2022 12:11 PM GMT")).toMatchObject({ local: "2022-06-04T12:11:00", offset: "+00:00", year: 2022 });
    expect(parseAppleCsvDate("Thursday January 1,2015 12:05 AM GMT")).toMatchObject({ local: "2015-01-01T00:05:00" });
  });
  it("album CSVs list names under Images or imgName, memories under imageName; empty is empty", () => {
    expect(parseNameList(Buffer.from("Images\nA.JPG\nB.HEIC\n"), "a.csv", ["images", "imgname"]).names.map((n) => n.name)).toEqual(["A.JPG", "B.HEIC"]);
    expect(parseNameList(Buffer.from("imgName\nA.JPG\n"), "a.csv", ["images", "imgname"]).names).toEqual([{ line: 2, name: "A.JPG" }]);
    expect(parseNameList(Buffer.from("imageName\nC.MOV\n"), "m.csv", ["imagename"]).names).toEqual([{ line: 2, name: "C.MOV" }]);
    expect(parseNameList(Buffer.alloc(0), "e.csv", ["images"])).toEqual({ names: [], problems: [] });
    expect(parseNameList(Buffer.from("Images\n../x.jpg\n"), "a.csv", ["images"]).problems[0]?.reason).toMatch(/unsafe file name/);
  });
  it("a part is the folder above Photos/; shared albums come from My Albums/<album>/", () => {
    expect(partScope("Part1.zip/iCloud-bilder Del 1 av 2/Photos/Photo Details-1.csv")).toBe("Part1.zip/iCloud-bilder Del 1 av 2");
    expect(partScope("Photo Details.csv")).toBe("");
    expect(sharedAlbumOf("P/iCloud Shared Albums-1.zip/My Albums/Trip 2022/IMG_1.JPG")).toBe("Trip 2022");
    expect(sharedAlbumOf("P/Photos/My Albums/x/IMG_1.JPG")).toBeNull();
  });
});

describe.skipIf(!real || !haveExiftool)("zip parts of an Apple export, planned in place", () => {
  let dir: string;
  let catalog: Catalog;
  let exiftool: ExifTool;
  let srcId: number;
  const problems: { path: string; reason: string }[] = [];
  const zips: Record<string, string> = {};
  const before: Record<string, string> = {};
  const p1 = "iCloud Photos Part 1 of 2";
  const p2 = "iCloud-bilder Del 2 av 2"; // a translated part name: recognised by the CSV header
  const f = (rel: string) => join(real!, rel);

  beforeAll(async () => {
    dir = await tempDir("archive-export-");
    exiftool = createExifTool();
    // a real JPEG with its metadata removed: a file that records no date of its own
    const undated = join(dir, "undated.jpg");
    await execFileP("exiftool", ["-q", "-all=", "-o", undated, f("metadata-extractor-images/Apple iPhone 4.jpg")]);
    const undated2 = join(dir, "undated2.jpg"); // other content, no date either
    await execFileP("exiftool", ["-q", "-all=", "-o", undated2, f("lychee/train.jpg")]);
    const inner = join(dir, "shared.zip");
    await writeZip(inner, [{ name: "My Albums/Family Trip/IMG_4394.HEIC", file: f("osxphotos/IMG_4394.HEIC") }]);
    const part1: MemberSpec[] = [
      { name: `${p1}/Photos/IMG_0001.JPG`, file: undated, compress: false },
      { name: `${p1}/Photos/IMG_3582.HEIC`, file: f("osxphotos/IMG_3582.HEIC"), compress: false },
      { name: `${p1}/Photos/IMG_3582.mov`, file: f("osxphotos/IMG_3582.mov") },
      { name: `${p1}/Photos/IMG_0861-1.MOV`, file: f("metadata-extractor-images/with-gps.mov") },
      { name: `${p1}/Photos/Photo Details.csv`, data: H + 'IMG_0001.JPG,c1=,yes,no,no,"Saturday June 4,2022 12:11 PM GMT",3,\nIMG_3582.HEIC,c2=,no,yes,no,"Monday May 26,2025 2:27 PM GMT",1,\nIMG_3582.mov,c3=,no,no,no,"Monday May 26,2025 2:27 PM GMT",1,\nIMG_9999.JPG,c9=,no,no,no,"Friday January 1,2021 9:00 AM GMT",0,\n' },
      { name: `${p1}/Photos/Photo Details-1.csv`, data: "" },
      { name: `${p1}/Photos/Photo Details-2.csv`, data: H + 'IMG_0861-1.MOV,c4=,no,no,no,"Tuesday January 18,2016 10:20 PM GMT",0,\n' },
      { name: `${p1}/Recently Deleted/IMG_0500.HEIC`, file: f("immich/IMG_2682.heic") },
      { name: `${p1}/Albums/Holiday.csv`, data: "Images\nIMG_0001.JPG\nIMG_0002.JPG\nIMG_7777.JPG\n" },
      { name: `${p1}/Albums/Empty.csv`, data: "" },
      { name: `${p1}/Memories/Summer.csv`, data: "imageName\nIMG_3582.HEIC\n" },
      { name: `${p1}/iCloud Shared Albums.zip`, file: inner, compress: false },
      { name: "aa/evil.jpg", data: "not a photo" },
    ];
    zips.part1 = join(dir, "iCloud Photos Part 1 of 2.zip");
    await writeZip(zips.part1, part1, { zip64: true });
    await patchName(zips.part1, "aa/evil.jpg", "../evil.jpg");
    zips.part2 = join(dir, "iCloud-bilder Del 2 av 2.zip");
    await writeZip(zips.part2, [
      // the same name as in part 1, other content and another CSV date
      { name: `${p2}/Photos/IMG_0001.JPG`, file: undated2 },
      { name: `${p2}/Photos/IMG_0003.JPG`, file: f("lychee/train.jpg") },
      { name: `${p2}/Photos/IMG_0002.JPG`, file: undated },
      { name: `${p2}/Photos/Photo Details.csv`, data: H + 'IMG_0001.JPG,d1=,no,no,no,"Sunday March 3,2019 10:00 AM GMT",0,\nIMG_0002.JPG,d2=,no,no,no,"Sunday March 3,2019 10:00 AM GMT",0,\nIMG_0003.JPG,d3=,no,no,no,"Sunday March 3,2019 10:00 AM GMT",0,\n' },
    ]);
    zips.truncated = join(dir, "iCloud Photos Part 3 of 3.zip");
    await writeZip(zips.truncated, [{ name: "p3/Photos/IMG_3582.HEIC", file: f("osxphotos/IMG_3582.HEIC") }]);
    await truncate(zips.truncated, 500_000);
    for (const [k, z] of Object.entries(zips)) before[k] = sha(await readFile(z));

    await mkdir(join(dir, "ws/.archive/tmp"), { recursive: true });
    catalog = openCatalog(join(dir, "ws/.archive/catalog.db"));
    srcId = sourceId(catalog, dir);
    const run = startRun(catalog, "scan");
    for (const z of [zips.part1, zips.part2, zips.truncated]) {
      const prefix = z.slice(dir.length + 1);
      await scanZipPart({ catalog, sourceId: srcId, scanRun: run, exiftool, zip: z!, prefix, tmpDir: join(dir, "ws/.archive/tmp"), onProblem: (path, reason) => problems.push({ path, reason }) });
    }
    problems.push(...(await applyLibraryExports(catalog)).problems);
  }, 300_000);

  afterAll(async () => {
    catalog?.close();
    await exiftool?.end();
  });

  const item = (rel: string) => catalog.db.prepare("SELECT * FROM items WHERE rel_path = ?").get(rel) as Record<string, unknown> | undefined;
  const idOf = (rel: string) => Number(item(rel)?.id);

  it("catalogues zip members with their zip location and real content", () => {
    const rel = `iCloud Photos Part 1 of 2.zip/${p1}/Photos/IMG_3582.HEIC`;
    expect(item(rel)).toMatchObject({ format: "heic", kind: "photo", error: null, capture_source: "exif", capture_year: 2025 });
    expect(itemLocation(catalog, idOf(rel))).toEqual({ container: zips.part1, nested: null, member: `${p1}/Photos/IMG_3582.HEIC` });
    // hashed while it was read: no second read of the member for dedupe or "already archived"
    expect(item(rel)?.sha256).toBe("83d445478effcd304232304b2ae3507b3d8262f202f7370b456a40038cfbce64");
    expect(item(`iCloud Photos Part 1 of 2.zip/${p1}/Photos/IMG_3582.mov`)).toMatchObject({ kind: "video", error: null });
  });

  it("the same name in two parts gets each part's own CSV row and date", () => {
    const a = item(`iCloud Photos Part 1 of 2.zip/${p1}/Photos/IMG_0001.JPG`);
    const b = item(`iCloud-bilder Del 2 av 2.zip/${p2}/Photos/IMG_0001.JPG`);
    expect(a).toMatchObject({ capture_source: "csv", capture_local: "2022-06-04T12:11:00", capture_offset: "+00:00", favorite: 1, csv_checksum: "c1=" });
    expect(b).toMatchObject({ capture_source: "csv", capture_local: "2019-03-03T10:00:00", capture_offset: "+00:00", favorite: 0, csv_checksum: "d1=" });
    expect(a?.sha256).not.toBe(b?.sha256);
    // a file that records its own date keeps it: the CSV's never replaces it
    expect(item(`iCloud-bilder Del 2 av 2.zip/${p2}/Photos/IMG_0003.JPG`)).toMatchObject({ capture_source: "exif", capture_year: 2021, csv_checksum: "d3=" });
    expect(item(`iCloud-bilder Del 2 av 2.zip/${p2}/Photos/IMG_0002.JPG`)).toMatchObject({ capture_source: "csv", capture_year: 2019 });
    expect(item(`iCloud Photos Part 1 of 2.zip/${p1}/Photos/IMG_3582.HEIC`)).toMatchObject({ hidden: 1, favorite: 0 });
    expect(item(`iCloud Photos Part 1 of 2.zip/${p1}/Photos/IMG_0861-1.MOV`)).toMatchObject({ csv_named: 1, csv_checksum: "c4=" });
  });

  it("recognises both parts by their CSV header, the translated one too", () => {
    const parts = exportParts(catalog).map((p) => [p.label, p.files, p.csvNamed, p.deleted, p.favorites, p.hidden]);
    expect(parts).toEqual([
      [p1, 11, 4, 1, 1, 1],
      [p2, 4, 3, 0, 0, 0],
    ]);
  });

  it("Recently Deleted items are deleted; CSV rows without a file and files without a row are listed", () => {
    expect(item(`iCloud Photos Part 1 of 2.zip/${p1}/Recently Deleted/IMG_0500.HEIC`)).toMatchObject({ deleted: 1 });
    const orphans = orphanRows(catalog).map((o) => [o.part.slice(dir.length + 1), o.csv.split("/").pop(), o.line, o.name]);
    expect(orphans).toEqual([
      [`iCloud Photos Part 1 of 2.zip/${p1}`, "Holiday.csv", 4, "IMG_7777.JPG"],
      [`iCloud Photos Part 1 of 2.zip/${p1}`, "Photo Details.csv", 5, "IMG_9999.JPG"],
    ]);
    expect(filesWithoutCsvRow(catalog).map((x) => x.path.split("/").pop())).toEqual(["IMG_0500.HEIC"]);
  });

  it("albums (own part first, then other parts), memories, shared albums and empty CSVs", () => {
    const names = (rel: string) => itemOrganisation(catalog, idOf(rel)).collections.map((c) => `${c.kind}:${c.name}`);
    expect(names(`iCloud Photos Part 1 of 2.zip/${p1}/Photos/IMG_0001.JPG`)).toEqual(["album:Holiday"]);
    expect(names(`iCloud-bilder Del 2 av 2.zip/${p2}/Photos/IMG_0002.JPG`)).toEqual(["album:Holiday"]);
    expect(names(`iCloud-bilder Del 2 av 2.zip/${p2}/Photos/IMG_0001.JPG`)).toEqual([]);
    expect(names(`iCloud Photos Part 1 of 2.zip/${p1}/Photos/IMG_3582.HEIC`)).toEqual(["memory:Summer"]);
    const shared = `iCloud Photos Part 1 of 2.zip/${p1}/iCloud Shared Albums.zip/My Albums/Family Trip/IMG_4394.HEIC`;
    expect(names(shared)).toEqual(["shared:Family Trip"]);
    expect(itemLocation(catalog, idOf(shared))).toMatchObject({ nested: `${p1}/iCloud Shared Albums.zip`, member: "My Albums/Family Trip/IMG_4394.HEIC" });
    expect(item(shared)).toMatchObject({ format: "heic", error: null });
    expect(problems.filter((p) => /Empty\.csv|Details-1/.test(p.path))).toEqual([]);
  });

  it("refuses ../evil.jpg and reports the truncated part by name; the rest is planned", () => {
    expect(problems).toContainEqual({ path: "iCloud Photos Part 1 of 2.zip/../evil.jpg", reason: expect.stringMatching(/unsafe member name/) });
    expect(problems).toContainEqual({ path: "iCloud Photos Part 3 of 3.zip", reason: expect.stringMatching(/not a readable zip \(truncated or corrupt\?\)/) });
    expect(catalog.db.prepare("SELECT count(*) AS n FROM items WHERE rel_path LIKE '%evil%'").get()).toEqual({ n: 0 });
  });

  it("re-planning reads no member again; the zips are byte-identical and no temp copy is left", async () => {
    const run = startRun(catalog, "scan");
    const counts = await scanZipPart({ catalog, sourceId: srcId, scanRun: run, exiftool, zip: zips.part2!, prefix: "iCloud-bilder Del 2 av 2.zip", tmpDir: join(dir, "ws/.archive/tmp"), onProblem: () => {} });
    expect(counts).toMatchObject({ files: 4, read: 0, unchanged: 4 });
    for (const [k, z] of Object.entries(zips)) expect(sha(await readFile(z)), k).toBe(before[k]);
    expect(await readdir(join(dir, "ws/.archive/tmp"))).toEqual([]);
    expect(existsSync(join(dir, "evil.jpg"))).toBe(false);
  });
});

