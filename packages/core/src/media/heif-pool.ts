import { availableParallelism } from "node:os";
import { WorkerError, WorkerPool, workerScript } from "../pool.js";
import { HEIF_DECODE_CODES, HeifDecodeError, type DecodedHeif } from "./heif-decode.js";

/** A job for the HEIF worker: decode the file at `src`; run the named extras (see heif-extras.ts). */
export interface HeifTask {
  src: string;
  extras?: string[];
}

/** A decode as it crosses the thread: Buffers arrive as plain Uint8Arrays. */
export type WorkerDecoded = Omit<DecodedHeif, "data" | "icc"> & {
  data: Uint8Array;
  icc: Uint8Array | null;
  extras: Record<string, unknown>;
  decodeMs: number;
};

/** A decoded primary image, with the named extras asked for and the time the worker spent. */
export type DecodedInWorker = DecodedHeif & { extras: Record<string, unknown>; decodeMs: number };

const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * HEIC/HEIF decoding on worker threads (the one WorkerPool, one thread per core by default): the
 * libheif wasm module loads once per thread, a worker whose heap grew large is replaced, and a
 * crash fails only its own file (a WorkerError) and the next file gets a new thread. Decode
 * failures reject with a HeifDecodeError (stable `code`). Create one per command, `close()` in finally.
 */
export class HeifDecoder {
  private readonly pool: WorkerPool<HeifTask, WorkerDecoded>;

  constructor(threads = availableParallelism()) {
    this.pool = new WorkerPool<HeifTask, WorkerDecoded>(workerScript("heif-worker"), threads);
  }

  get size(): number {
    return this.pool.size;
  }

  /** Decode the primary image of the file at `src` (irot/imir applied) to RGB, checked whole. */
  async decode(src: string, options: { extras?: string[]; signal?: AbortSignal } = {}): Promise<DecodedInWorker> {
    let d: WorkerDecoded;
    try {
      const task: HeifTask = options.extras ? { src, extras: options.extras } : { src };
      d = await this.pool.run(task, options.signal ? { signal: options.signal } : {});
    } catch (err) {
      if (err instanceof WorkerError || !(err instanceof Error)) throw err;
      const code = (err as { code?: unknown }).code;
      // the decoder's own verdicts keep their class and code; a read error keeps its errno code
      const verdict = HEIF_DECODE_CODES.find((c) => c === code);
      throw verdict ? new HeifDecodeError(verdict, err.message) : err;
    }
    return { ...d, data: asBuffer(d.data), icc: d.icc ? asBuffer(d.icc) : null };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
