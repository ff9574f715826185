import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { realFixtures } from "../../../../test/support.js";
import { WorkerError } from "../pool.js";
import { decodePrimary, HeifDecodeError, withHeif, type OpenHeif } from "./heif-decode.js";
import { HeifDecoder } from "./heif-pool.js";

const fx = realFixtures();
const decoder = new HeifDecoder(1);
afterAll(() => decoder.close());

describe.skipIf(!fx)("HEIF decoding (libheif wasm)", () => {
  // SOURCES.md: IMG_4394.HEIC is a 4032x3024 iPhone photo stored rotated (irot 270): upright 3024x4032
  it("decodes a real iPhone HEIC to its declared size, rotation applied, with its ICC profile", () => {
    const d = decodePrimary(readFileSync(join(fx!, "osxphotos/IMG_4394.HEIC")));
    expect(d.ispe).toEqual({ w: 4032, h: 3024 });
    expect(d.irot).toBe(270);
    expect([d.width, d.height]).toEqual([3024, 4032]);
    expect(d.data.length).toBe(3024 * 4032 * 3);
    expect(d.icc?.subarray(36, 40).toString("latin1")).toBe("acsp"); // an ICC profile's signature
  });

  it("in a worker, gives the same pixels as on this thread", async () => {
    const file = join(fx!, "osxphotos/IMG_4394.HEIC");
    const here = decodePrimary(readFileSync(file));
    const there = await decoder.decode(file);
    expect([there.width, there.height, there.irot]).toEqual([here.width, here.height, here.irot]);
    expect(there.data.equals(here.data)).toBe(true);
    expect(there.icc?.equals(here.icc!)).toBe(true);
  });

  it("runs extractors on the open file and returns their values by name", () => {
    const d = decodePrimary(readFileSync(join(fx!, "osxphotos/IMG_4394.HEIC")), {
      topLevel: (h: OpenHeif) => h.lib.heif_context_get_number_of_top_level_images(h.ctx) as number,
      itemId: (h: OpenHeif) => h.primaryItemId,
    });
    expect(d.extras.topLevel).toBe(d.topLevelImages);
    expect(d.extras.itemId).toBeGreaterThan(0);
  });

  it("a truncated or empty file is a decode error with a code, not an image (in the worker too)", async () => {
    expect(() => decodePrimary(readFileSync(join(fx!, "pillow_heif/truncated.heic")))).toThrow(/truncated/);
    expect(() => withHeif(Buffer.alloc(0), () => 0)).toThrow(HeifDecodeError);
    const err = await decoder.decode(join(fx!, "pillow_heif/truncated.heic")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HeifDecodeError);
    expect(err).toMatchObject({ code: "TRUNCATED" });
    await expect(decoder.decode(join(fx!, "pillow_heif/empty.heic"))).rejects.toMatchObject({ code: "EMPTY" });
    const missing = await decoder.decode(join(fx!, "no-such-file.heic")).catch((e: unknown) => e);
    expect(missing).not.toBeInstanceOf(WorkerError);
    expect(missing).toMatchObject({ code: "ENOENT" });
  });
});
