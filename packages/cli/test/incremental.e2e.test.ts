// A newer export of the same library planned into an existing workspace: content already
// archived under another name is recognised by SHA-256, and only what is new gets archived.
import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { realFixtures, runArchive, tempDir, treeChecksum } from "../../../test/support.js";

const real = realFixtures();

interface PlanJson {
  newContent: { archived: number; alreadyArchivedContent: number; newFiles: number } | null;
}
interface ConvertJson {
  copied: number;
  duplicates: number;
  alreadyDone: number;
  failed: unknown[];
}

describe.skipIf(!real)("incremental across exports", () => {
  it("plan counts what is new; convert archives only that and records the rest as duplicates", async () => {
    const first = await tempDir("archive-inc-a-");
    const second = await tempDir("archive-inc-b-");
    const ws = await tempDir("archive-inc-ws-");
    await copyFile(join(real!, "lychee/train.jpg"), join(first, "train.jpg"));
    await copyFile(join(real!, "lychee/mongolia"), join(first, "mongolia"));
    // the next export: the same two photos under new names and folders, plus one new file
    await mkdir(join(second, "Part 2"));
    await copyFile(join(real!, "lychee/train.jpg"), join(second, "Part 2", "IMG_0001.JPG"));
    await copyFile(join(real!, "lychee/mongolia"), join(second, "Part 2", "IMG_0002.JPG"));
    await copyFile(join(real!, "osxphotos/IMG_2908.PNG"), join(second, "Part 2", "IMG_2908.PNG"));
    const before = treeChecksum(second);

    expect((await runArchive(["plan", first, "-C", ws, "-q"])).code).toBe(0);
    expect((await runArchive(["convert", "-C", ws, "-q"])).code).toBe(0);

    const plan = await runArchive(["plan", second, "-C", ws, "--json"]);
    expect(plan.code).toBe(0);
    const p = JSON.parse(plan.stdout) as PlanJson;
    expect(p.newContent).toMatchObject({ archived: 2, alreadyArchivedContent: 2, newFiles: 1 });

    const conv = await runArchive(["convert", "-C", ws, "--json"]);
    expect(conv.code).toBe(0);
    const c = JSON.parse(conv.stdout) as ConvertJson;
    expect(c).toMatchObject({ copied: 1, duplicates: 2, alreadyDone: 2 });
    const verify = await runArchive(["verify", "-C", ws]);
    expect(verify.code, verify.stdout).toBe(0);
    expect(treeChecksum(second)).toBe(before);
  }, 180_000);
});
