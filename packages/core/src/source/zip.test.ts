import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { execFileP, hasTool, realFixtures, tempDir } from "../../../../test/support.js";
import { patchName, writeZip } from "../../../../test/zips.js";
import { ZipMembers } from "./members.js";
import { ZipPart, refuseMemberName, zipDisplayPath, type ZipMember, type ZipRefusal } from "./zip.js";

const real = realFixtures();
const havePython = await hasTool("python3", ["--version"]);
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function list(part: ZipPart): Promise<{ members: ZipMember[]; refused: ZipRefusal[] }> {
  const members: ZipMember[] = [];
  const refused: ZipRefusal[] = [];
  for await (const m of part.members()) {
    if ("reason" in m) refused.push(m);
    else members.push(m);
  }
  return { members, refused };
}

describe("member names are data, never paths", () => {
  it.each([
    ["../evil.jpg", /unsafe member name/],
    ["/etc/passwd", /unsafe member name/],
    ["C:/Windows/evil.jpg", /drive letter/],
    ["C:evil.jpg", /drive letter/],
    ["Photos/../../evil.jpg", /unsafe member name/],
    ["Photos/a\nb.jpg", /control characters/],
  ])("%j is refused", (name, reason) => {
    expect(refuseMemberName(name)).toMatch(reason);
  });
  it("an ordinary nested name is accepted", () => {
    expect(refuseMemberName("iCloud-bilder Del 1 av 6/Photos/IMG_0861-1.MOV")).toBeNull();
  });
});

describe.skipIf(!real)("zip parts built from the real fixtures", () => {
  let dir: string;
  const heic = join(real ?? "", "osxphotos/IMG_3582.HEIC");
  const mov = join(real ?? "", "osxphotos/IMG_3582.mov");
  beforeAll(async () => {
    dir = await tempDir("archive-zip-");
  });

  it("streams stored and deflated members with the right bytes; ZIP64 records are read", async () => {
    for (const zip64 of [false, true]) {
      const file = join(dir, `part-${zip64}.zip`);
      await writeZip(file, [
        { name: "iCloud Photos Part 1 of 2/Photos/IMG_3582.HEIC", file: heic, compress: false },
        { name: "iCloud Photos Part 1 of 2/Photos/IMG_3582.mov", file: mov, compress: true },
      ], { zip64 });
      const part = await ZipPart.open(file);
      try {
        const { members, refused } = await list(part);
        expect(refused).toEqual([]);
        expect(members.map((m) => [m.path, m.method])).toEqual([
          ["iCloud Photos Part 1 of 2/Photos/IMG_3582.HEIC", "stored"],
          ["iCloud Photos Part 1 of 2/Photos/IMG_3582.mov", "deflated"],
        ]);
        expect(await part.sha256(members[0]!)).toBe(sha(await readFile(heic)));
        expect(await part.sha256(members[1]!)).toBe(sha(await readFile(mov)));
        // the head of a stored member is a range read; of a deflated one, the stream's start
        expect((await part.head(members[0]!, 12)).toString("latin1", 4, 12)).toBe("ftypheic");
        expect((await part.head(members[1]!, 64 * 1024)).equals((await readFile(mov)).subarray(0, 64 * 1024))).toBe(true);
      } finally {
        await part.close();
      }
    }
  });

  // yazl needs ~2 ms per entry here (122 s for this zip): Python's zipfile writes it in a second
  it.skipIf(!havePython)("reads more than 65,535 entries (ZIP64 by count)", async () => {
    const file = join(dir, "many.zip");
    const n = 65_600;
    const py = "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n  for i in range(int(sys.argv[2])): z.writestr(f'p/Photos/{i}.AAE', f'x{i}')";
    await execFileP("python3", ["-c", py, file, String(n)]);
    const part = await ZipPart.open(file);
    try {
      let count = 0;
      for await (const m of part.members()) if (!("reason" in m)) count++;
      expect(count).toBe(n);
      expect(part.entryCount).toBe(n);
    } finally {
      await part.close();
    }
  });

  it("refuses ../evil.jpg with a reason and reads the rest; decodes CP437 and UTF-8 names", async () => {
    const file = join(dir, "evil.zip");
    await writeZip(file, [
      { name: "aa/evil.jpg", data: "x" },
      { name: "p/Photos/Bild_X.jpg", file: heic, compress: false },
      { name: "p/Photos/Ferien in Zürich.jpg", data: "y" },
    ]);
    await patchName(file, "aa/evil.jpg", "../evil.jpg");
    await patchName(file, "p/Photos/Bild_X.jpg", Buffer.from("p/Photos/Bild_\x81.jpg", "latin1"), true); // 0x81 is "ü" in CP437
    const part = await ZipPart.open(file);
    try {
      const { members, refused } = await list(part);
      expect(refused).toEqual([{ path: "../evil.jpg", reason: expect.stringMatching(/unsafe member name/) }]);
      expect(members.map((m) => [m.path, m.legacyName])).toEqual([
        ["p/Photos/Bild_ü.jpg", true],
        ["p/Photos/Ferien in Zürich.jpg", false],
      ]);
      expect(await part.sha256(members[0]!)).toBe(sha(await readFile(heic)));
    } finally {
      await part.close();
    }
  });

  it("a truncated part cannot be opened, and the reason says so", async () => {
    const file = join(dir, "truncated.zip");
    await writeZip(file, [{ name: "p/Photos/IMG_3582.HEIC", file: heic }]);
    await truncate(file, 1_000_000);
    await expect(ZipPart.open(file)).rejects.toThrow(/not a readable zip \(truncated or corrupt\?\)/);
  });

  it("a damaged member fails its CRC-32 check", async () => {
    const file = join(dir, "damaged.zip");
    await writeZip(file, [{ name: "p/Photos/IMG_3582.HEIC", file: heic, compress: false }]);
    const buf = await readFile(file);
    buf[200_000] = buf[200_000]! ^ 0xff;
    await writeFile(file, buf);
    const part = await ZipPart.open(file);
    try {
      const [m] = (await list(part)).members;
      await expect(part.sha256(m!)).rejects.toThrow(/CRC-32 mismatch/);
    } finally {
      await part.close();
    }
  });

  it.each([false, true])("reads a nested shared-albums zip (deflated: %s)", async (deflated) => {
    const inner = join(dir, `inner-${deflated}.zip`);
    await writeZip(inner, [{ name: "My Albums/Trip/IMG_3582.HEIC", file: heic }]);
    const outer = join(dir, `outer-${deflated}.zip`);
    const nestedName = "iCloud Photos Part 2 of 2/iCloud Shared Albums.zip";
    await writeZip(outer, [{ name: nestedName, file: inner, compress: deflated }]);
    const before = sha(await readFile(outer));
    const tmp = join(dir, `nested-${deflated}.tmp`);
    const part = await ZipPart.open(outer);
    try {
      const [m] = (await list(part)).members;
      const nested = await part.openNested(m!, outer, tmp);
      expect(existsSync(tmp)).toBe(deflated); // stored: read in place, no temp copy
      const { members } = await list(nested);
      expect(members.map((x) => zipDisplayPath({ zip: outer, nested: nestedName, member: x.path }))).toEqual([`${outer}/${nestedName}/My Albums/Trip/IMG_3582.HEIC`]);
      expect(await nested.sha256(members[0]!)).toBe(sha(await readFile(heic)));
      await nested.close();
      expect(existsSync(tmp)).toBe(false);
    } finally {
      await part.close();
    }
    expect(sha(await readFile(outer))).toBe(before);
  });

  it("ZipMembers hands a job one member at a time as a temp file, nested ones too, and deletes it", async () => {
    const inner = join(dir, "jm-inner.zip");
    await writeZip(inner, [{ name: "My Albums/Trip/IMG_3582.mov", file: mov }]);
    const outer = join(dir, "jm-outer.zip");
    await writeZip(outer, [
      { name: "p/Photos/IMG_3582.HEIC", file: heic },
      { name: "p/iCloud Shared Albums.zip", file: inner, compress: true },
    ]);
    const tmpDir = join(dir, "jm-tmp");
    const zm = new ZipMembers(tmpDir);
    try {
      const got = await zm.withFile({ container: outer, nested: null, member: "p/Photos/IMG_3582.HEIC" }, async (path, digest) => {
        expect(digest).toBe(sha(await readFile(heic)));
        return sha(await readFile(path));
      });
      expect(got).toBe(sha(await readFile(heic)));
      const loc = { container: outer, nested: "p/iCloud Shared Albums.zip", member: "My Albums/Trip/IMG_3582.mov" };
      expect(await zm.sha256(loc)).toBe(sha(await readFile(mov)));
      await expect(zm.withFile({ ...loc, member: "My Albums/Trip/gone.mov" }, async () => 1)).rejects.toThrow(/no longer in/);
    } finally {
      await zm.close();
    }
    const { readdir } = await import("node:fs/promises");
    expect(await readdir(tmpDir)).toEqual([]);
  });
});
