// End-to-end (issue 10 item 7): a later export that changes favorites, hidden flags and albums
// updates what is already archived, without converting anything again: a converted JPEG's XMP
// (its gain map still found, its pixels and the source's own XMP bytes unchanged), an MP4's XMP,
// a byte-exact copy's sidecar (the copy untouched). The manifest follows and verify passes; a
// damaged sidecar is a fixity failure and is left as it is.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { jpegSegments, openCatalog, secondaryImage } from "@archive/core";
import { hasTool, realFixtures, runArchive, tempDir } from "../../../test/support.js";
import { writeZip } from "../../../test/zips.js";

const execFileP = promisify(execFile);
const real = realFixtures();
const haveExiftool = await hasTool("exiftool", ["-ver"]);
const haveFfmpeg = await hasTool("ffmpeg", ["-version"]);
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const H = "imgName,fileChecksum,favorite,hidden,deleted,originalCreationDate,viewCount,importDate\n";
const JPEG = "osxphotos/7B85B835-AB73-46B1-8840-6BA63FB2D9DD.jpeg"; // copied byte-exact: sidecar
const HEIC = "osxphotos/IMG_4394.HEIC"; // iOS 18 with a gain map: JPEG + MPF gain map
const MOV = "exoplayer/dolbyVision-hdr.MOV"; // transcoded to MP4

async function xmp(file: string): Promise<Record<string, unknown>> {
  const { stdout } = await execFileP("exiftool", ["-j", "-G1", "-struct", "-XMP:all", file]);
  return (JSON.parse(stdout) as Record<string, unknown>[])[0]!;
}

/** One export (one zip part) holding the three files with the given CSV flags and albums. */
/** The day each export was made: Apple stamps every member of a part with the export's time. */
const MADE = { a: new Date(2026, 0, 15, 9), b: new Date(2026, 5, 15, 9), c: new Date(2026, 6, 15, 9) } as const;

async function exportPart(dir: string, label: keyof typeof MADE, rows: { fav: string; hidden: string }[], albums: Record<string, string[]>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const t = "iCloud Photos Part 1 of 1";
  const names = ["BEACH.jpeg", "GAIN.HEIC", ...(haveFfmpeg ? ["CLIP.mov"] : [])];
  const csv = H + names.map((n, i) => `${n},${label}${i}=,${rows[i]!.fav},${rows[i]!.hidden},no,"Saturday June 4,2022 12:11 PM GMT",1,\n`).join("");
  const part = join(dir, `${t}.zip`);
  const members = [
    { name: `${t}/Photos/BEACH.jpeg`, file: join(real!, JPEG), compress: false },
    { name: `${t}/Photos/GAIN.HEIC`, file: join(real!, HEIC), compress: false },
    ...(haveFfmpeg ? [{ name: `${t}/Photos/CLIP.mov`, file: join(real!, MOV) }] : []),
    { name: `${t}/Photos/Photo Details.csv`, data: csv },
    ...Object.entries(albums).map(([album, members]) => ({ name: `${t}/Albums/${album}.csv`, data: `Images\n${members.join("\n")}\n` })),
  ];
  await writeZip(part, members.map((m) => ({ ...m, mtime: MADE[label] })));
  return part;
}

interface Listed {
  output: string | null;
  source: string;
  status: string;
}

async function listed(ws: string): Promise<Listed[]> {
  const r = await runArchive(["list", "-C", ws, "--json"]);
  return r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Listed);
}

describe.skipIf(!real || !haveExiftool)("a later export's organisation updates the archived outputs", () => {
  let ws: string;
  let root: string;
  const out: Record<string, string> = {};
  const before: Record<string, Buffer> = {};
  let second: { code: number; json: { converted: number; copied: number; duplicates: number; organised: { path: string; now: string }[]; failed: unknown[] } };
  let dry: { code: number; stdout: string };
  let afterPlan: (Listed & { reason?: string })[] = [];

  beforeAll(async () => {
    root = await tempDir("archive-org-update-");
    ws = join(root, "ws");
    const yes = { fav: "yes", hidden: "no" };
    const first = await exportPart(join(root, "january"), "a", [yes, yes, yes], { Vacation: ["BEACH.jpeg", "GAIN.HEIC", "CLIP.mov"] });
    expect((await runArchive(["plan", first, "-C", ws])).code).toBe(0);
    const c = await runArchive(["convert", "-C", ws, "--json"]);
    expect(c.code, c.stdout + c.stderr).toBe(0);
    for (const x of await listed(ws)) {
      const name = x.source.split("/").pop()!;
      if (x.output) out[name] = x.output;
    }
    for (const f of Object.values(out)) before[f] = await readFile(join(ws, f));
    before.sidecar = await readFile(join(ws, `${out["BEACH.jpeg"]}.xmp`));
    // June: nothing is a favorite any more, the photo and the clip are hidden, albums changed
    const no = { fav: "no", hidden: "no" };
    const hid = { fav: "no", hidden: "yes" };
    const later = await exportPart(join(root, "june"), "b", [no, hid, hid], { Vacation: ["BEACH.jpeg"], Best: ["BEACH.jpeg", "GAIN.HEIC"] });
    expect((await runArchive(["plan", later, "-C", ws])).code).toBe(0);
    afterPlan = (await listed(ws)).filter((x) => x.source.includes("/june/") && !x.source.endsWith(".csv"));
    dry = await runArchive(["convert", "-C", ws, "--dry-run"]);
    const r = await runArchive(["convert", "-C", ws, "--json"]);
    second = { code: r.code, json: JSON.parse(r.stdout) };
  }, 600_000);

  it("converts nothing again, and says which outputs it updated (a dry run says it first, writing nothing)", async () => {
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/Would update the organisation .* in [23] archived files/);
    expect(second.code, JSON.stringify(second.json.failed)).toBe(0);
    expect(second.json).toMatchObject({ converted: 0, copied: 0 });
    const paths = second.json.organised.map((o) => o.path).sort();
    expect(paths).toEqual([`${out["BEACH.jpeg"]}.xmp`, out["GAIN.HEIC"], ...(haveFfmpeg ? [out["CLIP.mov"]] : [])].sort());
    expect(second.json.organised.find((o) => o.path === out["GAIN.HEIC"])!.now).toBe("hidden, 1 album");
  });

  it("after planning the later export, list counts its copies of archived content as duplicates, not pending", () => {
    expect(afterPlan.length).toBe(haveFfmpeg ? 3 : 2);
    for (const x of afterPlan) {
      expect(x.status, x.source).toBe("duplicate");
      expect(x.reason).toMatch(/next convert/);
    }
  });

  it("rewrites the copy's sidecar (not the copy): no rating, both albums", async () => {
    const copy = out["BEACH.jpeg"]!;
    expect(sha(await readFile(join(ws, copy)))).toBe(sha(await readFile(join(real!, JPEG))));
    const x = await xmp(join(ws, `${copy}.xmp`));
    expect(x["XMP-xmp:Rating"]).toBeUndefined();
    expect(x["XMP-dc:Subject"]).toEqual(["Best", "Vacation"]);
    expect(x["XMP-lr:HierarchicalSubject"]).toEqual(["Albums|Best", "Albums|Vacation"]);
    expect(x["XMP-archive:Hidden"]).toBeUndefined();
  });

  it("replaces only the JPEG's XMP: every other segment, the pixels and the gain map stay", async () => {
    const rel = out["GAIN.HEIC"]!;
    const now = await readFile(join(ws, rel));
    expect(now.equals(before[rel]!)).toBe(false);
    const x = await xmp(join(ws, rel));
    expect(x["XMP-xmp:Rating"]).toBeUndefined();
    expect(x["XMP-archive:Hidden"]).toBe(true);
    expect(x["XMP-dc:Subject"]).toEqual(["Best"]);
    // every other segment (Exif, ICC, the ISO 21496-1 marker) and the scan data are byte for byte
    // what they were; only the XMP packet and the MPF index (the primary image's size) differ
    const isXmp = (d: Buffer) => d.subarray(0, 29).toString("latin1") === "http://ns.adobe.com/xap/1.0/\0";
    const isMpf = (d: Buffer) => d.subarray(0, 4).toString("latin1") === "MPF\0";
    const rest = (b: Buffer) => {
      const segs = jpegSegments(b);
      const last = segs[segs.length - 1]!;
      const kept = segs.filter((x) => !isXmp(x.data) && !isMpf(x.data)).map((x) => `${x.marker}:${sha(x.data)}`);
      return { kept, scan: sha(b.subarray(last.at + 4 + last.data.length, b.length - secondaryImage(b)!.length)) };
    };
    expect(rest(now)).toEqual(rest(before[rel]!));
    expect(jpegSegments(now).filter((x) => isXmp(x.data))).toHaveLength(1);
    // the same pixels, and the MPF index still finds a decodable gain map
    const px = async (b: Buffer) => sharp(b).raw().toBuffer();
    expect((await px(now)).equals(await px(before[rel]!))).toBe(true);
    const gm = (await execFileP("exiftool", ["-b", "-MPImage2", join(ws, rel)], { encoding: "buffer", maxBuffer: 1 << 26 })).stdout;
    const gmBefore = secondaryImage(before[rel]!)!;
    expect(gm.length).toBeGreaterThan(1000);
    expect(gm.equals(gmBefore)).toBe(true);
    const meta = await sharp(gm).metadata();
    expect(meta.format).toBe("jpeg");
    const validate = await execFileP("exiftool", ["-validate", "-warning", "-a", "-s", join(ws, rel)]);
    expect(validate.stdout).not.toMatch(/MPF|MPImage|Error/i);
  });

  it.skipIf(!haveFfmpeg)("rewrites the MP4's XMP tags: hidden, no rating, no albums", async () => {
    const x = await xmp(join(ws, out["CLIP.mov"]!));
    expect(x["XMP-archive:Hidden"]).toBe(true);
    expect(x["XMP-xmp:Rating"]).toBeUndefined();
    expect(x["XMP-dc:Subject"]).toBeUndefined();
    expect(x["XMP-lr:HierarchicalSubject"]).toBeUndefined();
  });

  it("the manifest follows: sha256sum -c and verify --complete pass; a second convert changes nothing", async () => {
    await execFileP("sha256sum", ["-c", "--quiet", "manifest-sha256.txt"], { cwd: ws });
    const v = await runArchive(["verify", "-C", ws, "--complete"]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const again = await runArchive(["convert", "-C", ws, "--json"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).organised).toEqual([]);
  }, 300_000);

  it("a damaged sidecar is a fixity failure and is not rewritten by a third export", async () => {
    const sidecar = join(ws, `${out["BEACH.jpeg"]}.xmp`);
    const damaged = Buffer.from((await readFile(sidecar, "utf8")).replace("Best", "Bext"));
    await writeFile(sidecar, damaged);
    const third = await exportPart(join(root, "july"), "c", [{ fav: "yes", hidden: "no" }, { fav: "yes", hidden: "no" }, { fav: "yes", hidden: "no" }], {});
    expect((await runArchive(["plan", third, "-C", ws])).code).toBe(0);
    const r = await runArchive(["convert", "-C", ws, "--json"]);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as { fixity: { path: string }[]; organised: { path: string }[] };
    expect(json.fixity.map((f) => f.path)).toContain(`${out["BEACH.jpeg"]}.xmp`);
    expect((await readFile(sidecar)).equals(damaged)).toBe(true);
    // the others did take July's favorites
    expect(json.organised.map((o) => o.path)).toContain(out["GAIN.HEIC"]);
    expect((await xmp(join(ws, out["GAIN.HEIC"]!)))["XMP-xmp:Rating"]).toBe(5);
  }, 300_000);

  it("a run stopped between the rename and the journal entry is finished by the next run, not called a fixity failure", async () => {
    // what a kill right after the rename leaves: the new bytes in place, the journal still on the old hash
    const rel = out["GAIN.HEIC"]!;
    const cat = openCatalog(join(ws, ".archive/catalog.db"));
    const job = cat.db.prepare("SELECT item_id, output_sha256, output_size, params FROM jobs WHERE output_rel = ?").get(rel) as {
      item_id: number; output_sha256: string; output_size: number; params: string;
    };
    const params = JSON.parse(job.params) as Record<string, unknown>;
    const pending = { file: "output", sha256: job.output_sha256, size: job.output_size, key: params.organisation };
    cat.db
      .prepare("UPDATE jobs SET output_sha256 = ?, output_size = ?, params = ? WHERE item_id = ?")
      .run(sha(before[rel]!), before[rel]!.length, JSON.stringify({ ...params, organisation: "older", organisationPending: pending }), job.item_id);
    cat.close();
    const r = await runArchive(["convert", "-C", ws, "--json"]);
    const json = JSON.parse(r.stdout) as { fixity: { path: string }[]; organised: unknown[] };
    expect(json.fixity.map((f) => f.path)).not.toContain(rel);
    expect(json.organised).toEqual([]);
    const check = openCatalog(join(ws, ".archive/catalog.db"), { readonly: true });
    const now = check.db.prepare("SELECT output_sha256, params FROM jobs WHERE output_rel = ?").get(rel) as { output_sha256: string; params: string };
    check.close();
    expect(now.output_sha256).toBe(job.output_sha256);
    expect(JSON.parse(now.params).organisationPending).toBeUndefined();
    expect(JSON.parse(now.params).organisation).toBe(params.organisation);
  }, 300_000);
});

describe.skipIf(!real || !haveExiftool)("an older export planned later takes nothing back", () => {
  it("June's organisation stays when January's export is planned after it", async () => {
    const root = await tempDir("archive-org-older-");
    const ws = join(root, "ws");
    const no = { fav: "no", hidden: "no" };
    const june = await exportPart(join(root, "june"), "b", [no, { fav: "no", hidden: "yes" }, no], { Best: ["BEACH.jpeg"] });
    expect((await runArchive(["plan", june, "-C", ws])).code).toBe(0);
    expect((await runArchive(["convert", "-C", ws])).code).toBe(0);
    const copy = (await listed(ws)).find((x) => x.output && x.source.endsWith("BEACH.jpeg"))!.output!;
    const before = await readFile(join(ws, `${copy}.xmp`));
    const yes = { fav: "yes", hidden: "no" };
    const january = await exportPart(join(root, "january"), "a", [yes, yes, yes], { Vacation: ["BEACH.jpeg", "GAIN.HEIC", "CLIP.mov"] });
    expect((await runArchive(["plan", january, "-C", ws])).code).toBe(0);
    const r = await runArchive(["convert", "-C", ws, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).organised).toEqual([]);
    expect((await readFile(join(ws, `${copy}.xmp`))).equals(before)).toBe(true);
    const x = await xmp(join(ws, `${copy}.xmp`));
    expect(x["XMP-dc:Subject"]).toEqual(["Best"]);
    expect(x["XMP-xmp:Rating"]).toBeUndefined();
  }, 300_000);
});
