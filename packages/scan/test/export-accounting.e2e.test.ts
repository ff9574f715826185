// End-to-end (issue 10, QA review of two parts): every item of an Apple export is accounted for.
// The export's own CSVs (an empty album CSV included) are its metadata, not photos: excluded with
// the reason, never "unreadable" or pending; Recently Deleted items are accounted for by
// `verify --complete`; `run` takes several zip parts as plan does; verify reads zip members for
// metadata parity the way convert does.
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { hasTool, realFixtures, runArchive, tempDir } from "../../../test/support.js";
import { writeZip } from "../../../test/zips.js";

const real = realFixtures();
const haveExiftool = await hasTool("exiftool", ["-ver"]);
const H = "imgName,fileChecksum,favorite,hidden,deleted,originalCreationDate,viewCount,importDate\n";
const row = (name: string, date: string) => `${name},A=,no,no,no,"${date}",0,"${date}"\n`;

describe.skipIf(!real || !haveExiftool)("Apple export parts: every item accounted for", () => {
  let dir: string;
  const parts: string[] = [];
  beforeAll(async () => {
    dir = await tempDir("archive-export-acct-");
    await mkdir(join(dir, "z"));
    const t1 = "iCloud Photos Part 1 of 2";
    const t2 = "iCloud Photos Part 2 of 2";
    parts.push(join(dir, "z", `${t1}.zip`), join(dir, "z", `${t2}.zip`));
    await writeZip(parts[0]!, [
      { name: `${t1}/Photos/IMG_1853.HEIC`, file: join(real!, "osxphotos/IMG_1853.HEIC"), compress: false },
      { name: `${t1}/Recently Deleted/IMG_2682.heic`, file: join(real!, "immich/IMG_2682.heic") },
      { name: `${t1}/Photos/Photo Details.csv`, data: H + row("IMG_1853.HEIC", "Thursday March 23,2023 5:19 PM GMT") },
      { name: `${t1}/Albums/Vacation.csv`, data: "Images\nIMG_1853.HEIC\ntrain.jpg\n" },
      { name: `${t1}/Albums/Empty.csv`, data: "" },
    ]);
    await writeZip(parts[1]!, [
      { name: `${t2}/Photos/train.jpg`, file: join(real!, "lychee/train.jpg") },
      { name: `${t2}/Photos/Photo Details.csv`, data: H + row("train.jpg", "Saturday April 10,2021 10:44 AM GMT") },
    ]);
  }, 60_000);

  it("run takes the parts as plan does; CSVs excluded as the export's metadata; deleted accounted for; ready", async () => {
    const ws = await tempDir("archive-export-acct-ws-");
    const run = await runArchive(["run", ...parts, "-C", ws, "--quick"]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(/Unreadable|empty file/);
    const list = (await runArchive(["list", "-C", ws, "--json"])).stdout.trim().split("\n").map((l) => JSON.parse(l) as { source: string; status: string; reason: string | null });
    const csvs = list.filter((e) => e.source.endsWith(".csv"));
    expect(csvs.map((e) => e.source.replace(/.*\.zip\//, "")).sort()).toEqual([
      "iCloud Photos Part 1 of 2/Albums/Empty.csv",
      "iCloud Photos Part 1 of 2/Albums/Vacation.csv",
      "iCloud Photos Part 1 of 2/Photos/Photo Details.csv",
      "iCloud Photos Part 2 of 2/Photos/Photo Details.csv",
    ]);
    for (const c of csvs) expect(c, c.source).toMatchObject({ status: "excluded", reason: "Apple export metadata (CSV)" });
    expect(list.filter((e) => e.source.includes("Recently Deleted")).map((e) => e.status)).toEqual(["deleted"]);
    expect(list.filter((e) => e.status === "archived").length).toBe(2);
    // nothing of the export is converted from a CSV: no copies of them in the archive
    expect((await readdir(join(ws, "converted"), { recursive: true })).map(String).filter((f) => f.endsWith(".csv"))).toEqual([]);
    const v = await runArchive(["verify", "-C", ws, "--complete", "--quick"]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/Recently Deleted\/IMG_2682\.heic"?: deleted: kept out; archive convert --include-deleted keeps it/);
    expect(v.stdout).toMatch(/Empty\.csv"?: excluded: Apple export metadata \(CSV\)/);
    const plan = JSON.parse((await runArchive(["plan", "-C", ws, "--json"])).stdout) as { unreadable: unknown[] };
    expect(plan.unreadable).toEqual([]);
  });

  it("verify reads zip members for metadata parity (not the catalog record) and passes a correct output", async () => {
    const ws = await tempDir("archive-export-acct-meta-");
    const t = "iCloud Photos Part 1 of 1";
    const part = join(dir, `${t}.zip`);
    await writeZip(part, [
      { name: `${t}/Photos/HMD.heif`, file: join(real!, "exif-samples/HMD_Nokia_8.3_5G.heif") },
      { name: `${t}/Photos/Photo Details.csv`, data: H + row("HMD.heif", "Tuesday January 2,2018 9:00 AM GMT") },
    ]);
    expect((await runArchive(["plan", part, "-C", ws])).code).toBe(0);
    const c = await runArchive(["convert", "-C", ws]);
    expect(c.code, c.stdout + c.stderr).toBe(0);
    const v = await runArchive(["verify", "-C", ws, "--complete", "--json"]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).not.toMatch(/not reachable/);
    expect(v.stdout).toMatch(/of 1 converted files/);
    expect(await readdir(join(ws, ".archive/tmp"))).toEqual([]);
  });
});
