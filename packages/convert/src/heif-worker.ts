import { readFileSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import sharp from "sharp";
import { decodePrimary, heapBytes, HeifDecodeError } from "./heif-decode.js";

// One libvips thread per worker: the pool already uses every core.
sharp.concurrency(1);
sharp.cache(false);

/** A request: decode `src`, write a JPEG (no metadata yet) to `out`. */
export interface HeifJob {
  id: number;
  src: string;
  out: string;
  quality: number;
}

export type HeifReply =
  | {
      id: number;
      ok: true;
      width: number;
      height: number;
      ispe: { w: number; h: number };
      irot: number | null;
      imir: number | null;
      icc: Uint8Array | null;
      topLevelImages: number;
      heapBytes: number;
      decodeMs: number;
      encodeMs: number;
    }
  | { id: number; ok: false; code: string; error: string };

parentPort!.on("message", async (job: HeifJob) => {
  const t0 = performance.now();
  try {
    const d = decodePrimary(readFileSync(job.src));
    const t1 = performance.now();
    // No ICC through sharp: with raw input it would convert the pixels from sRGB. The profile is
    // attached unchanged by exiftool afterwards, so Display P3 pixels stay Display P3.
    await sharp(d.data, { raw: { width: d.width, height: d.height, channels: d.channels } })
      .jpeg({ quality: job.quality })
      .toFile(job.out);
    const reply: HeifReply = {
      id: job.id,
      ok: true,
      width: d.width,
      height: d.height,
      ispe: d.ispe,
      irot: d.irot,
      imir: d.imir,
      icc: d.icc ? new Uint8Array(d.icc) : null,
      topLevelImages: d.topLevelImages,
      heapBytes: heapBytes(),
      decodeMs: t1 - t0,
      encodeMs: performance.now() - t1,
    };
    parentPort!.postMessage(reply);
  } catch (err) {
    const code = err instanceof HeifDecodeError ? err.code : ((err as NodeJS.ErrnoException).code ?? "ERROR");
    parentPort!.postMessage({ id: job.id, ok: false, code, error: err instanceof Error ? err.message : String(err) } satisfies HeifReply);
  }
});
