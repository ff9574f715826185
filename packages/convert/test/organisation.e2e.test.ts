// End-to-end (issue 10 item 4): the library's organisation travels with the photos. A byte-exact
// copy gets a sidecar NAME.EXT.xmp (the copy itself untouched); a converted JPEG carries it in
// its XMP packet. Both read back with exiftool, the manifest lists the sidecar, verify passes.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { hasTool, realFixtures, runArchive, tempDir } from "../../../test/support.js";
import { writeZip } from "../../../test/zips.js";

const execFileP = promisify(execFile);
const real = realFixtures();
const haveExiftool = await hasTool("exiftool", ["-ver"]);
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const H = "imgName,fileChecksum,favorite,hidden,deleted,originalCreationDate,viewCount,importDate\n";
const JPEG = "osxphotos/7B85B835-AB73-46B1-8840-6BA63FB2D9DD.jpeg";
const HEIC = "osxphotos/IMG_3582.HEIC";
const MOV = "exoplayer/dolbyVision-hdr.MOV"; // HEVC: transcoded
const haveFfmpeg = await hasTool("ffmpeg", ["-version"]);

async function exif(file: string): Promise<Record<string, unknown>> {
  const { stdout } = await execFileP("exiftool", ["-j", "-G1", "-struct", "-XMP:all", file]);
  return (JSON.parse(stdout) as Record<string, unknown>[])[0]!;
}

describe.skipIf(!real || !haveExiftool)("organisation as XMP (sidecar beside copies, in converted JPEGs)", () => {
  let ws: string;
  let part: string;
  const t = "iCloud Photos Part 1 of 1";
  beforeAll(async () => {
    ws = await tempDir("archive-org-xmp-");
    part = join(await tempDir("archive-org-xmp-src-"), `${t}.zip`);
    await writeZip(part, [
      { name: `${t}/Photos/BEACH.jpeg`, file: join(real!, JPEG), compress: false },
      { name: `${t}/Photos/IMG_3582.HEIC`, file: join(real!, HEIC), compress: false },
      ...(haveFfmpeg ? [{ name: `${t}/Photos/CLIP.mov`, file: join(real!, MOV) }] : []),
      {
        name: `${t}/Photos/Photo Details.csv`,
        data: H + 'BEACH.jpeg,a=,yes,yes,no,"Saturday June 4,2022 12:11 PM GMT",1,\nIMG_3582.HEIC,b=,yes,no,no,"Monday May 26,2025 2:27 PM GMT",1,\nCLIP.mov,c=,yes,no,no,"Monday May 26,2025 2:27 PM GMT",1,\n',
      },
      { name: `${t}/Albums/Vacation.csv`, data: "Images\nBEACH.jpeg\nIMG_3582.HEIC\nCLIP.mov\n" },
      { name: `${t}/Memories/Summer.csv`, data: "imageName\nCLIP.mov\n" },
    ]);
    const p = await runArchive(["plan", part, "-C", ws]);
    expect(p.code, p.stdout + p.stderr).toBe(0);
    const c = await runArchive(["convert", "-C", ws, "--json"]);
    expect(c.code, c.stdout + c.stderr).toBe(0);
  }, 300_000);

  async function outputs(): Promise<{ rel: string; source: string }[]> {
    const r = await runArchive(["list", "-C", ws, "--json"]);
    return r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { output: string | null; source: string; hidden: boolean })
      .filter((x) => x.output)
      .map((x) => ({ rel: x.output!, source: x.source }));
  }

  it("writes NAME.EXT.xmp beside a byte-exact copy, leaves the copy identical, and the manifest and verify accept it", async () => {
    const copy = (await outputs()).find((o) => /BEACH\.jpeg$/.test(o.source))!;
    expect(copy.rel).toMatch(/\.jpe?g$/i);
    expect(sha(await readFile(join(ws, copy.rel)))).toBe(sha(await readFile(join(real!, JPEG))));
    const x = await exif(join(ws, `${copy.rel}.xmp`));
    expect(x["XMP-xmp:Rating"]).toBe(5);
    expect(x["XMP-dc:Subject"]).toEqual(["Vacation"]);
    expect(x["XMP-lr:HierarchicalSubject"]).toEqual(["Albums|Vacation"]);
    expect(x["XMP-archive:Hidden"]).toBe(true);
    const v = await runArchive(["verify", "-C", ws, "--complete"]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).not.toMatch(/extra/i);
    const manifest = await readFile(join(ws, "manifest-sha256.txt"), "utf8");
    expect(manifest).toContain(`${copy.rel}.xmp`);
    const check = await execFileP("sha256sum", ["-c", "manifest-sha256.txt"], { cwd: ws });
    expect(check.stdout).toMatch(new RegExp(`${copy.rel.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.xmp: OK`));
  }, 300_000);

  it("merges the organisation into a converted JPEG's XMP and keeps the source's own XMP", async () => {
    const conv = (await outputs()).find((o) => /IMG_3582\.HEIC$/.test(o.source))!;
    expect(conv.rel).toMatch(/\.jpg$/);
    const x = await exif(join(ws, conv.rel));
    expect(x["XMP-xmp:Rating"]).toBe(5);
    expect(x["XMP-dc:Subject"]).toEqual(["Vacation"]);
    expect(x["XMP-lr:HierarchicalSubject"]).toEqual(["Albums|Vacation"]);
    // the source's packet is kept byte for byte around the one added rdf:Description
    const packet = async (f: string) => (await execFileP("exiftool", ["-b", "-XMP", f], { encoding: "buffer" })).stdout;
    const src = await packet(join(real!, HEIC));
    const out = await packet(join(ws, conv.rel));
    const end = src.lastIndexOf("</rdf:RDF>");
    expect(end).toBeGreaterThan(0);
    expect(out.subarray(0, end).equals(src.subarray(0, end))).toBe(true);
    expect(out.subarray(out.length - (src.length - end)).equals(src.subarray(end))).toBe(true);
    expect(out.subarray(end, out.length - (src.length - end)).toString()).toMatch(/^\s*<rdf:Description rdf:about=""[^]*<\/rdf:Description>\s*$/);
    expect(x["XMP-photoshop:DateCreated"]).toBe("2025:05:26 09:27:06");
  }, 300_000);

  it.skipIf(!haveFfmpeg)("writes the organisation into a transcoded video's XMP", async () => {
    const vid = (await outputs()).find((o) => /CLIP\.mov$/.test(o.source))!;
    expect(vid.rel).toMatch(/\.mp4$/);
    const x = await exif(join(ws, vid.rel));
    expect(x["XMP-xmp:Rating"]).toBe(5);
    expect(x["XMP-dc:Subject"]).toEqual(["Vacation", "Summer"]);
    expect(x["XMP-lr:HierarchicalSubject"]).toEqual(["Albums|Vacation", "Memories|Summer"]);
  }, 300_000);
});
