// Reading zip members without a temp copy (issue 10, plan speed): whole in memory, at offsets in
// place, and on a hash worker in batches; every route checks the CRC-32 and a damaged member fails
// alone, with the reason.
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { realFixtures, tempDir } from "../../../../test/support.js";
import { writeZip } from "../../../../test/zips.js";
import { HashPool } from "../hashpool.js";
import { ZipPart, type ZipMember } from "./zip.js";

const real = realFixtures();
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe.skipIf(!real)("zip members read in memory, in place and on a worker", () => {
  let file: string;
  let part: ZipPart;
  let pool: HashPool;
  const members = new Map<string, ZipMember>();
  const bytes = new Map<string, Buffer>();
  beforeAll(async () => {
    const dir = await tempDir("archive-zip-read-");
    file = join(dir, "part.zip");
    const specs: [string, string, boolean][] = [
      ["stored.heic", "osxphotos/IMG_3582.HEIC", false],
      ["deflated.heic", "osxphotos/IMG_4394.HEIC", true],
      ["deflated.mov", "osxphotos/IMG_3582.mov", true],
      ["bad-stored.heic", "osxphotos/IMG_1853.HEIC", false],
      ["bad-deflated.heic", "osxphotos/IMG_0102.HEIC", true],
    ];
    const list = [];
    for (const [name, f, compress] of specs) {
      const data = await readFile(join(real!, f));
      bytes.set(name, data);
      list.push({ name, data, compress });
    }
    list.push({ name: "empty.txt", data: Buffer.alloc(0), compress: false });
    bytes.set("empty.txt", Buffer.alloc(0));
    await writeZip(file, list, { zip64: true });
    // one byte flipped in each bad member's data, past its local header
    const buf = await readFile(file);
    for (const name of ["bad-stored.heic", "bad-deflated.heic"]) {
      const at = buf.indexOf(Buffer.from(name));
      const i = at + name.length + buf.readUInt16LE(at - 2) + 4000;
      buf[i] = buf[i]! ^ 0xff;
    }
    await writeFile(file, buf);
    part = await ZipPart.open(file);
    for await (const m of part.members()) if (!("reason" in m)) members.set(m.path, m);
    pool = new HashPool(1);
  });
  afterAll(async () => {
    await pool?.close();
    await part?.close();
  });

  it("read(): a whole member, CRC-checked; a damaged one is refused with the reason", async () => {
    for (const name of ["stored.heic", "deflated.heic", "deflated.mov", "empty.txt"]) {
      expect(sha(await part.read(members.get(name)!)), name).toBe(sha(bytes.get(name)!));
    }
    await expect(part.read(members.get("bad-stored.heic")!)).rejects.toThrow(/CRC-32 mismatch in bad-stored\.heic: the part is damaged/);
    await expect(part.read(members.get("bad-deflated.heic")!)).rejects.toThrow(/bad-deflated\.heic.*the part is damaged/);
    await expect(part.sha256(members.get("bad-stored.heic")!)).rejects.toThrow(/CRC-32 mismatch/);
  });

  it("readStored(): bytes at offsets of a stored member, short at its end; a deflated member has no random access", async () => {
    const m = members.get("stored.heic")!;
    const src = bytes.get("stored.heic")!;
    expect((await part.readStored(m, 1000, 64)).equals(src.subarray(1000, 1064))).toBe(true);
    expect((await part.readStored(m, src.length - 10, 64)).equals(src.subarray(src.length - 10))).toBe(true);
    expect((await part.readStored(m, src.length, 64)).length).toBe(0);
    await expect(part.readStored(members.get("deflated.heic")!, 0, 16)).rejects.toThrow(/compressed: no random access/);
    expect(await part.sha256(m)).toBe(sha(src));
  });

  it("extractTo(): a stored member copied in positional reads, a deflated one streamed; a damaged one rejects", async () => {
    const dir = await tempDir("archive-zip-read-out-");
    for (const name of ["stored.heic", "deflated.mov", "empty.txt"]) {
      const r = await part.extractTo(members.get(name)!, join(dir, name));
      expect(r.sha256, name).toBe(sha(bytes.get(name)!));
      expect((await readFile(join(dir, name))).equals(bytes.get(name)!), name).toBe(true);
    }
    await expect(part.extractTo(members.get("bad-stored.heic")!, join(dir, "bad"))).rejects.toThrow(/CRC-32 mismatch in bad-stored\.heic/);
  });

  it("a deflated member longer than its entry says is refused by every route", async () => {
    const dir = await tempDir("archive-zip-read-long-");
    const file2 = join(dir, "long.zip");
    await writeZip(file2, [{ name: "long.mov", data: bytes.get("deflated.mov")!, compress: true }]);
    // the declared uncompressed size, 10 bytes short, in the local (offset 22) and central (24) headers
    const buf = await readFile(file2);
    const at = (sig: number) => buf.indexOf(Buffer.from([sig & 0xff, (sig >> 8) & 0xff, (sig >> 16) & 0xff, sig >>> 24]));
    for (const [h, off] of [[at(0x04034b50), 22], [at(0x02014b50), 24]] as const) buf.writeUInt32LE(bytes.get("deflated.mov")!.length - 10, h + off);
    await writeFile(file2, buf);
    const p2 = await ZipPart.open(file2);
    try {
      let m: ZipMember | undefined;
      for await (const x of p2.members()) if (!("reason" in x)) m = x;
      await expect(p2.read(m!)).rejects.toThrow(/long\.mov.*the part is damaged/);
      const range = { ...(await p2.dataRange(m!)), compressedSize: m!.compressedSize, size: m!.size, crc32: m!.crc32, deflated: true, keep: true, name: m!.path };
      await expect(pool.member(range)).rejects.toThrow(/long\.mov.*the part is damaged/);
    } finally {
      await p2.close();
    }
  });

  it("HashPool.member(): one tick's members in one batch, each with its own result; a damaged one fails alone", async () => {
    const ask = async (name: string, keep: boolean) => {
      const m = members.get(name)!;
      const at = await part.dataRange(m);
      return pool.member({ ...at, compressedSize: m.compressedSize, size: m.size, crc32: m.crc32, deflated: m.method === "deflated", keep, name });
    };
    const names = ["stored.heic", "deflated.heic", "bad-stored.heic", "deflated.mov", "bad-deflated.heic", "empty.txt"];
    const got = await Promise.allSettled(names.map((n) => ask(n, n.startsWith("deflated"))));
    got.forEach((r, i) => {
      const name = names[i]!;
      if (name.startsWith("bad-")) {
        expect(r.status, name).toBe("rejected");
        expect(String((r as PromiseRejectedResult).reason), name).toMatch(/the part is damaged/);
        return;
      }
      expect(r.status, name).toBe("fulfilled");
      const v = (r as PromiseFulfilledResult<{ sha256: string; bytes: Buffer | null }>).value;
      expect(v.sha256, name).toBe(sha(bytes.get(name)!));
      // kept bytes come back whole (moved from the worker), only when asked for
      if (name.startsWith("deflated")) expect(v.bytes?.equals(bytes.get(name)!), name).toBe(true);
      else expect(v.bytes, name).toBeNull();
    });
  });
});
