// A HEIC whose image data is damaged (bit rot, a bad copy) must never become a broken JPEG behind
// a green result: libheif conceals decode errors, so the native decoder's verdict stands. The
// file fails with the reason, is unresolved (named in every summary, verify --complete exits 1)
// and can be accepted as lost like a file plan could not read; nothing is left half-written.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { hasTool, realFixtures, runArchive, tempDir } from "../../../test/support.js";
import { listFiles } from "./helpers.js";

const real = realFixtures();
const haveFfmpeg = await hasTool("ffmpeg", ["-version"]);

/** The fixture with `bytes` written over its middle. */
async function damagedCopy(rel: string, bytes: (n: number) => Buffer): Promise<Buffer> {
  const b = Buffer.from(await readFile(join(real!, rel)));
  const patch = bytes(b.length);
  patch.copy(b, Math.floor(b.length / 2) - Math.floor(patch.length / 2));
  return b;
}

/** Deterministic noise (the same damage on every run). */
function noise(n: number): Buffer {
  const out = Buffer.alloc(n);
  let x = 2463534242;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

describe.skipIf(!real || !haveFfmpeg)("damaged HEIC image data", () => {
  let ws: string;
  let convert: { code: number; json: { failed: { path: string; reason: string }[]; converted: number } };

  beforeAll(async () => {
    const lib = await tempDir("archive-damaged-lib-");
    ws = join(await tempDir("archive-damaged-ws-"), "ws");
    await mkdir(lib, { recursive: true });
    await writeFile(join(lib, "garbled.heic"), await damagedCopy("osxphotos/IMG_1853.HEIC", () => noise(64 * 1024)));
    await writeFile(join(lib, "zeroed.heic"), await damagedCopy("exifr/heic-iphone7.heic", () => Buffer.alloc(4096)));
    await writeFile(join(lib, "good.heic"), await readFile(join(real!, "osxphotos/IMG_0102.HEIC")));
    expect((await runArchive(["plan", lib, "-C", ws])).code).toBe(0);
    const r = await runArchive(["convert", "-C", ws, "--json"]);
    convert = { code: r.code, json: JSON.parse(r.stdout) };
  }, 300_000);

  it("fails both damaged files with the reason and converts the good one (exit 1)", () => {
    expect(convert.code).toBe(1);
    expect(convert.json.converted).toBe(1);
    const failed = Object.fromEntries(convert.json.failed.map((f) => [f.path, f.reason]));
    expect(Object.keys(failed).sort()).toEqual(["garbled.heic", "zeroed.heic"]);
    for (const reason of Object.values(failed)) expect(reason).toMatch(/damaged HEVC image data/);
  });

  it("writes no JPEG for them and leaves no temporary file", () => {
    expect(listFiles(join(ws, "converted"))).toEqual(["good.jpg"]);
  });

  it("keeps verify --complete at exit 1 until they are accepted as lost; then it passes", async () => {
    const v = await runArchive(["verify", "-C", ws, "--complete"]);
    expect(v.code, v.stdout).toBe(1);
    expect(v.stdout).toMatch(/garbled\.heic/);
    expect(v.stdout).toMatch(/zeroed\.heic/);
    const again = await runArchive(["convert", "-C", ws]);
    expect(again.code).toBe(1); // still unresolved: named, not new
    expect(again.stdout).toMatch(/garbled\.heic/);
    expect(again.stdout).not.toMatch(/Next: archive verify\n/);
    expect(again.stdout).toMatch(/Next: look at what is named above/);
    const accepted = await runArchive(["verify", "-C", ws, "--complete", "--accept-unreadable"]);
    expect(accepted.code, accepted.stdout + accepted.stderr).toBe(0);
    expect(accepted.stdout).toMatch(/damaged HEVC image data/);
  }, 300_000);
});
