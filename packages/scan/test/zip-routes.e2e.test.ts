// Issue 10, plan speed: a zip member is read once, by the cheapest route (stored: in place, hashed
// on a worker; small deflated: inflated whole in memory; big deflated: a temp copy; exiftool's
// formats: a temp copy made on demand). Every route must give what the folder plan gives for the
// same bytes, record the right SHA-256, catch a damaged member by its CRC-32, and leave no temp file.
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { hasTool, realFixtures, runArchive, tempDir } from "../../../test/support.js";
import { writeZip, type MemberSpec } from "../../../test/zips.js";

const real = realFixtures();
const haveExiftool = await hasTool("exiftool", ["-ver"]);
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

interface Listed {
  source: string;
  status: string;
  captureTime: string | null;
  captureSource: string | null;
  sha256: string | null;
  reason: string | null;
}

/** Flip one byte of a member's data (found by its local header), as a damaged download would. */
async function damage(zip: string, name: string, at: number): Promise<void> {
  const buf = await readFile(zip);
  const n = Buffer.from(name);
  for (let i = buf.indexOf(n); i >= 0; i = buf.indexOf(n, i + 1)) {
    if (buf.readUInt32LE(i - 30) !== 0x04034b50) continue;
    const data = i + n.length + buf.readUInt16LE(i - 30 + 28);
    buf[data + at] = buf[data + at]! ^ 0xff;
    await writeFile(zip, buf);
    return;
  }
  throw new Error(`no local header for ${name}`);
}

/** A 33 MiB QuickTime file: a real clip followed by a `free` box (too big to be inflated in memory). */
async function bigClip(file: string): Promise<Buffer> {
  const clip = await readFile(file);
  const free = Buffer.alloc(33 * 1024 * 1024);
  free.writeUInt32BE(free.length, 0);
  free.write("free", 4, "latin1");
  return Buffer.concat([clip, free]);
}

async function listed(ws: string): Promise<Map<string, Listed>> {
  const r = await runArchive(["list", "-C", ws, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Listed);
  return new Map(rows.map((x) => [x.source.split("/").pop()!, x]));
}

describe.skipIf(!real || !haveExiftool)("archive plan reads each zip member by the cheapest route", () => {
  let dir: string;
  const members: MemberSpec[] = [];
  const bytes = new Map<string, Buffer>();
  beforeAll(async () => {
    dir = await tempDir("archive-zip-routes-");
    const add = async (name: string, file: string, compress: boolean) => {
      const data = await readFile(join(real!, file));
      members.push({ name: `Part/Photos/${name}`, data, compress });
      bytes.set(name, data);
    };
    await add("stored.HEIC", "osxphotos/IMG_3582.HEIC", false); // in place
    await add("deflated.HEIC", "osxphotos/IMG_4394.HEIC", true); // in memory
    await add("stored.jpeg", "lychee/train.jpg", false);
    await add("deflated.jpg", "metadata-extractor-images/Apple iPhone 4.jpg", true);
    await add("stored.dng", "exiv2/IMG_1361.dng", false); // exiftool: a copy from the zip
    await add("deflated.dng", "exiv2/IMG_1361.dng", true); // exiftool: a copy from memory
    await add("stored.mov", "osxphotos/IMG_3582.mov", false);
    await add("deflated.mov", "osxphotos/IMG_4394.mov", true);
    await add("stored.PNG", "osxphotos/IMG_2908.PNG", false);
    await add("damaged-stored.HEIC", "osxphotos/IMG_1853.HEIC", false);
    await add("damaged-deflated.HEIC", "osxphotos/IMG_0102.HEIC", true);
    const big = await bigClip(join(real!, "lychee/train.mov"));
    members.push({ name: "Part/Photos/big-deflated.mov", data: big, compress: true }); // a temp copy
    bytes.set("big-deflated.mov", big);
    await writeZip(join(dir, "part.zip"), members);
    await damage(join(dir, "part.zip"), "Part/Photos/damaged-stored.HEIC", 5000);
    await damage(join(dir, "part.zip"), "Part/Photos/damaged-deflated.HEIC", 5000);
    // the same bytes as a folder, undamaged: what the folder plan reads
    await mkdir(join(dir, "folder/Part/Photos"), { recursive: true });
    for (const [name, data] of bytes) await writeFile(join(dir, "folder/Part/Photos", name), data);
  }, 120_000);

  it("gives what the folder plan gives, with every member's SHA-256, and catches damaged members", async () => {
    const wsZip = await tempDir("archive-zip-routes-ws-");
    const wsDir = await tempDir("archive-zip-routes-ws-");
    for (const [src, ws] of [[join(dir, "part.zip"), wsZip], [join(dir, "folder"), wsDir]] as const) {
      const r = await runArchive(["plan", src, "-C", ws, "--json"]);
      expect(r.code, r.stderr).toBe(0);
    }
    const fromZip = await listed(wsZip);
    const fromDir = await listed(wsDir);
    expect([...fromZip.keys()].sort()).toEqual([...bytes.keys()].sort());
    for (const [name, data] of bytes) {
      const z = fromZip.get(name)!;
      if (name.startsWith("damaged-")) {
        expect(z.status, name).toBe("unreadable");
        expect(z.reason, name).toMatch(/cannot read from the zip: .*(CRC-32 mismatch|cannot inflate).*the part is damaged/);
        expect(z.sha256, name).toBeNull();
        continue;
      }
      const d = fromDir.get(name)!;
      expect(z.sha256, name).toBe(sha(data));
      expect([z.status, z.reason], name).toEqual([d.status, d.reason]);
      // the folder's files carry today's mtime, the zip's members 2024-01-02: only a date of the file's own may match
      if (d.captureSource !== "mtime") expect([z.captureTime, z.captureSource], name).toEqual([d.captureTime, d.captureSource]);
    }
    // the routes' metadata really was read: the in-place HEIC, the inflated clip, the big clip through its copy, the DNGs through exiftool
    for (const name of ["stored.HEIC", "deflated.HEIC", "stored.mov", "deflated.mov", "big-deflated.mov", "stored.dng", "deflated.dng"]) {
      expect(fromZip.get(name)!.captureSource, name).not.toBe("mtime");
    }
    expect(await readdir(join(wsZip, ".archive/tmp"))).toEqual([]);
  }, 120_000);

  it("reads members of nested zips the same way: a stored one in place, a deflated one through its copy", async () => {
    const inner = join(dir, "inner.zip");
    await writeZip(inner, [
      { name: "My Albums/Trip/stored.HEIC", data: bytes.get("stored.HEIC")!, compress: false },
      { name: "My Albums/Trip/deflated.mov", data: bytes.get("deflated.mov")!, compress: true },
    ]);
    const innerBytes = await readFile(inner);
    const outer = join(dir, "nested.zip");
    await writeZip(outer, [
      { name: "Part/iCloud Shared Albums.zip", data: innerBytes, compress: false },
      { name: "Part/iCloud Shared Albums-1.zip", data: innerBytes, compress: true },
    ]);
    const ws = await tempDir("archive-zip-routes-ws-");
    const r = await runArchive(["plan", outer, "-C", ws, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const list = await runArchive(["list", "-C", ws, "--json"]);
    const rows = list.stdout.trim().split("\n").map((l) => JSON.parse(l) as Listed);
    expect(rows.map((x) => x.source.slice(outer.length + 1)).sort()).toEqual([
      "Part/iCloud Shared Albums-1.zip/My Albums/Trip/deflated.mov",
      "Part/iCloud Shared Albums-1.zip/My Albums/Trip/stored.HEIC",
      "Part/iCloud Shared Albums.zip/My Albums/Trip/deflated.mov",
      "Part/iCloud Shared Albums.zip/My Albums/Trip/stored.HEIC",
    ]);
    for (const x of rows) {
      const name = x.source.split("/").pop()!;
      expect([x.status, x.sha256], x.source).toEqual(["pending", sha(bytes.get(name)!)]);
      expect(x.captureSource, x.source).not.toBe("mtime");
    }
    expect(await readdir(join(ws, ".archive/tmp"))).toEqual([]);
  }, 120_000);
});
