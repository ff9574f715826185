// End-to-end (issue 10): `archive plan` straight from Apple-export zip parts, given as zips and as
// a folder holding them, built here from the real fixtures.
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Ledger } from "@archive/core";
import { hasTool, realFixtures, runArchive, tempDir } from "../../../test/support.js";
import { patchName, writeZip } from "../../../test/zips.js";

const real = realFixtures();
const haveExiftool = await hasTool("exiftool", ["-ver"]);
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const H = "imgName,fileChecksum,favorite,hidden,deleted,originalCreationDate,viewCount,importDate\n";

interface PlanJson {
  totals: { files: number };
  scan: { read: number; unchanged: number };
  unreadable: { path: string; reason: string }[];
  export: {
    parts: { label: string; files: number; csvNamed: number; deleted: number; favorites: number }[];
    rowsWithoutFile: { csv: string; line: number; name: string }[];
    rowsWithoutFileCount: number;
    filesWithoutRowCount: number;
  } | null;
  ledger: Ledger;
}


/** What a user checks in the ledger: the statuses add up to what came in, nothing unaccounted. */
function expectBalanced(l: Ledger): void {
  expect(l.unaccounted).toBe(0);
  expect(l.archived + l.duplicates + l.deleted + l.unreadable + l.pending + l.excluded).toBe(l.in);
}

describe.skipIf(!real || !haveExiftool)("archive plan on Apple-export zip parts", () => {
  let dir: string;
  const zips: string[] = [];
  const before = new Map<string, string>();
  beforeAll(async () => {
    dir = await tempDir("archive-export-e2e-");
    await mkdir(join(dir, "Downloads"));
    const p1 = "iCloud Photos Part 1 of 2";
    const p2 = "iCloud-bilder Del 2 av 2";
    const part1 = join(dir, "Downloads", `${p1}.zip`);
    await writeZip(part1, [
      { name: `${p1}/Photos/IMG_3582.HEIC`, file: join(real!, "osxphotos/IMG_3582.HEIC"), compress: false },
      { name: `${p1}/Photos/IMG_3582.mov`, file: join(real!, "osxphotos/IMG_3582.mov") },
      { name: `${p1}/Photos/Photo Details.csv`, data: H + 'IMG_3582.HEIC,a=,yes,no,no,"Monday May 26,2025 2:27 PM GMT",1,\nIMG_3582.mov,b=,no,no,no,"Monday May 26,2025 2:27 PM GMT",1,\nIMG_0404.JPG,c=,no,no,no,"Monday May 26,2025 2:27 PM GMT",1,\n' },
      { name: `${p1}/Recently Deleted/IMG_2682.HEIC`, file: join(real!, "immich/IMG_2682.heic") },
      { name: "aa/evil.jpg", data: "x" },
    ]);
    await patchName(part1, "aa/evil.jpg", "../evil.jpg");
    const part2 = join(dir, "Downloads", `${p2}.zip`);
    await writeZip(part2, [
      { name: `${p2}/Photos/IMG_3582.HEIC`, file: join(real!, "osxphotos/IMG_4394.HEIC") },
      { name: `${p2}/Photos/Photo Details.csv`, data: H + 'IMG_3582.HEIC,z=,no,no,no,"Sunday March 3,2019 10:00 AM GMT",0,\n' },
    ]);
    const part3 = join(dir, "Downloads", "iCloud Photos Part 3 of 3.zip");
    await writeZip(part3, [{ name: "p3/Photos/IMG_4394.HEIC", file: join(real!, "osxphotos/IMG_4394.HEIC") }]);
    await truncate(part3, 300_000);
    await writeFile(join(dir, "Downloads", "notes.txt"), "not part of the export\n");
    zips.push(part1, part2, part3);
    for (const z of zips) before.set(z, sha(await readFile(z)));
  }, 120_000);

  async function plan(args: string[], ws: string): Promise<PlanJson> {
    const r = await runArchive(["plan", ...args, "-C", ws, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as PlanJson;
  }

  it.each([
    ["zip files", () => zips],
    ["a folder holding them", () => [join(dir, "Downloads")]],
  ])("plans %s: parts by content, rows without a file, unsafe members and a truncated part reported", async (_label, inputs) => {
    const ws = await tempDir("archive-export-ws-");
    const p = await plan(inputs(), ws);
    expect(p.export?.parts.map((x) => [x.label, x.files, x.csvNamed, x.deleted, x.favorites])).toEqual([
      ["iCloud Photos Part 1 of 2", 4, 2, 1, 1],
      ["iCloud-bilder Del 2 av 2", 2, 1, 0, 0],
    ]);
    expect(p.export?.rowsWithoutFile.map((o) => [o.line, o.name])).toEqual([[4, "IMG_0404.JPG"]]);
    expect(p.export?.filesWithoutRowCount).toBe(1); // the Recently Deleted one
    expectBalanced(p.ledger);
    // Recently Deleted; ../evil.jpg and the truncated part 3; the two Photo Details CSVs (the export's metadata)
    expect(p.ledger).toMatchObject({ archived: 0, deleted: 1, unreadable: 2, excluded: 2, pending: p.ledger.in - 5 });
    expect(p.ledger.rowsWithoutFile.map((o) => [o.line, o.name])).toEqual([[4, "IMG_0404.JPG"]]);
    const bad = p.unreadable.map((u) => `${u.path}: ${u.reason}`).join("\n");
    expect(bad).toMatch(/\.\.\/evil\.jpg: unsafe member name/);
    expect(bad).toMatch(/iCloud Photos Part 3 of 3\.zip: not a readable zip \(truncated or corrupt\?\)/);
    expect(await readdir(join(ws, ".archive/tmp"))).toEqual([]);
    // re-planning reads nothing again and changes nothing
    const again = await plan(inputs(), ws);
    expect(again.export).toEqual(p.export);
    expect(again.scan).toMatchObject({ read: 0, unchanged: p.scan.read });
    for (const z of zips) expect(sha(await readFile(z)), z).toBe(before.get(z));
  });

  it("converts straight from the parts, one member at a time, and verify passes", async () => {
    const ws = await tempDir("archive-export-convert-");
    await plan(zips.slice(0, 2), ws);
    const c = await runArchive(["convert", "-C", ws, "--json"]);
    // 1: the refused ../evil.jpg is unresolved until it is accepted as not archived
    expect(c.code, c.stderr).toBe(1);
    expect(c.stdout).toMatch(/\.\.\/evil\.jpg[\s\S]*?unsafe member name/);
    const media = async () => (await readdir(join(ws, "converted"), { recursive: true })).map(String).filter((f) => /\.(jpg|mov|mp4)$/i.test(f)).sort();
    const outputs = await media();
    // the still of part 1 and its Live Photo video, part 2's photo of the same name; not Recently Deleted's
    expect(outputs.length).toBe(3);
    expect(outputs.filter((f) => f.includes("Recently Deleted"))).toEqual([]);
    // two sources: outputs go under a folder per source (the zip's name)
    expect(outputs.filter((f) => f.startsWith("iCloud-bilder Del 2 av 2.zip/"))).toEqual(["iCloud-bilder Del 2 av 2.zip/iCloud-bilder Del 2 av 2/Photos/IMG_3582.jpg"]);
    const d = await runArchive(["convert", "-C", ws, "--include-deleted"]);
    expect(d.code, d.stderr).toBe(1); // ../evil.jpg is still unresolved
    expect((await media()).filter((f) => f.includes("Recently Deleted"))).toEqual(["iCloud Photos Part 1 of 2.zip/iCloud Photos Part 1 of 2/Recently Deleted/IMG_2682.jpg"]);
    const v = await runArchive(["verify", "-C", ws, "--accept-unreadable"]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const after = JSON.parse((await runArchive(["plan", "-C", ws, "--json"])).stdout) as PlanJson;
    expectBalanced(after.ledger);
    // both parts' media and the Recently Deleted one archived, ../evil.jpg accepted as unreadable, the CSVs excluded
    expect(after.ledger).toMatchObject({ in: 7, archived: 4, duplicates: 0, deleted: 0, unreadable: 1, pending: 0, excluded: 2 });
    expect(after.ledger.rowsWithoutFileCount).toBe(1);
    expect(await readdir(join(ws, ".archive/tmp"))).toEqual([]);
    for (const z of zips) expect(sha(await readFile(z)), z).toBe(before.get(z));
  });
});
