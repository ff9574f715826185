// The native HEIC decoder (ffmpeg's libavcodec) against libheif wasm, on every real HEIC
// fixture: the same size and orientation (irot applied by ffmpeg), pixels at most a few levels apart (chroma rounding),
// and every file it cannot decode for certain left to libheif with the reason.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hasTool, realFixtures, repoRoot } from "../../../../test/support.js";
import { decodePrimary } from "./heif-decode.js";
import { decodeHeifNative, nativeHeifPlan } from "./heif-native.js";
import { HeifDecoder } from "./heif-pool.js";
import { resolveTool } from "../tools.js";

const fx = realFixtures();
/** The ffmpeg convert decodes with (the npm static build first), and the system one: both must agree with libheif. */
const FFMPEGS = [...new Set([tryResolve({ prefer: "npm" }), tryResolve({})].filter((f): f is string => f !== null))];
const haveFfmpeg = FFMPEGS.length > 0 && (await hasTool(FFMPEGS[0]!, ["-version"]));

function tryResolve(o: { prefer?: "npm" }): string | null {
  try {
    return resolveTool("ffmpeg", undefined, o).path;
  } catch {
    return null;
  }
}

/** Every .heic/.heif under the fixtures, relative paths. */
function heics(root: string): string[] {
  return readdirSync(root, { recursive: true })
    .map(String)
    .filter((f) => /\.hei[cf]$/i.test(f))
    .sort();
}

describe.skipIf(!fx || !haveFfmpeg)("native HEIC decoding (ffmpeg) against libheif wasm", () => {
  it(`decodes every readable HEIC fixture to libheif's size and orientation, within a few levels (${FFMPEGS.join(", ")})`, async () => {
    const decoders = FFMPEGS.map((ffmpeg) => new HeifDecoder(2, { ffmpeg }));
    let compared = 0;
    try {
      for (const rel of heics(fx!)) {
        const file = join(fx!, rel);
        let ref: ReturnType<typeof decodePrimary>;
        try {
          ref = decodePrimary(readFileSync(file));
        } catch {
          for (const decoder of decoders) await expect(decoder.decode(file), rel).rejects.toThrow(); // libheif's verdict stands
          continue;
        }
        for (const [k, decoder] of decoders.entries()) {
          const got = await decoder.decode(file);
          const what = `${rel} with ${FFMPEGS[k]}`;
          expect(got.decoder, `${what}: ${[...decoder.declined.keys()].join("; ")}`).toBe("native");
          expect([got.width, got.height], what).toEqual([ref.width, ref.height]);
          let max = 0;
          let sum = 0;
          for (let i = 0; i < got.data.length; i++) {
            const d = Math.abs(got.data[i]! - ref.data[i]!);
            sum += d;
            if (d > max) max = d;
          }
          expect(max, what).toBeLessThanOrEqual(16);
          expect(sum / got.data.length, what).toBeLessThan(1);
          compared++;
        }
      }
    } finally {
      await Promise.all(decoders.map((d) => d.close()));
    }
    expect(compared).toBeGreaterThanOrEqual(14 * FFMPEGS.length);
  }, 600_000);

  it("leaves to libheif what it cannot decode for certain, saying why", async () => {
    const file = readFileSync(join(fx!, "osxphotos/IMG_4394.HEIC"));
    expect(nativeHeifPlan(file)).toMatchObject({ cols: 8, rows: 6, tileWidth: 512, tileHeight: 512, width: 4032, height: 3024 });
    // a 10-bit stream (hvcC bitDepthLumaMinus8 = 2) is not taken
    const tenBit = Buffer.from(file);
    let patched = 0;
    for (let i = tenBit.indexOf("hvcC", 0, "latin1"); i >= 0; i = tenBit.indexOf("hvcC", i + 4, "latin1")) {
      tenBit[i + 4 + 17] = (tenBit[i + 4 + 17]! & ~7) | 2;
      patched++;
    }
    expect(patched).toBeGreaterThan(0);
    expect(nativeHeifPlan(tenBit)).toEqual({ unsupported: "not 8-bit colour HEVC" });
    // a file cut short: the tiles' data runs past the end
    expect(nativeHeifPlan(file.subarray(0, Math.floor(file.length / 2)))).toMatchObject({ unsupported: expect.stringMatching(/past the end/) });
    expect(await decodeHeifNative(FFMPEGS[0]!, tenBit)).toEqual({ unsupported: "not 8-bit colour HEVC" });
  });

  it("falls back to libheif when ffmpeg fails, and stops asking a broken ffmpeg", async () => {
    const broken = new HeifDecoder(1, { ffmpeg: "/nonexistent/ffmpeg" });
    try {
      const file = join(fx!, "osxphotos/IMG_0102.HEIC");
      for (let k = 0; k < 4; k++) expect((await broken.decode(file)).decoder).toBe("wasm");
      const reasons = [...broken.declined.entries()];
      expect(reasons).toHaveLength(1);
      expect(reasons[0]![0]).toMatch(/native decode failed/);
      expect(reasons[0]![1]).toBe(3); // the fourth file was not sent to it
    } finally {
      await broken.close();
    }
  }, 120_000);

  it("removes what a killed process left in the temp folder, and leaves nothing itself", async () => {
    // a process that is gone (it exited; a SIGKILL leaves the same) and its raw image
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    const left = join(tmpdir(), `archive-heif-${dead}-test`);
    mkdirSync(left, { recursive: true });
    writeFileSync(join(left, "1.rgb"), Buffer.alloc(1000));
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", `
      import { readFileSync } from "node:fs";
      import { decodeHeifNative } from ${JSON.stringify(join(repoRoot(), "packages/core/dist/index.js"))};
      const d = await decodeHeifNative(${JSON.stringify(FFMPEGS[0])}, readFileSync(${JSON.stringify(join(fx!, "osxphotos/IMG_0102.HEIC"))}));
      console.log(d.width, d.height);
    `], { encoding: "utf8" });
    expect(child.stdout.trim(), child.stderr).toBe("2320 3088");
    expect(existsSync(left)).toBe(false);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith(`archive-heif-${child.pid}-`))).toEqual([]);
  }, 120_000);
});

