import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { WorkerError, WorkerPool, workerScript } from "../pool.js";
import { HEIF_DECODE_CODES, HeifDecodeError, type DecodedHeif } from "./heif-decode.js";
import { decodeHeifNative } from "./heif-native.js";

/** A job for the HEIF worker: decode the file at `src`; run the named extras (see heif-extras.ts). */
export interface HeifTask {
  src: string;
  extras?: string[];
  /** false: everything but the primary image's pixels (they are decoded natively). */
  pixels?: boolean;
}

/** A decode as it crosses the thread: Buffers arrive as plain Uint8Arrays. */
export type WorkerDecoded = Omit<DecodedHeif, "data" | "icc"> & {
  data: Uint8Array;
  icc: Uint8Array | null;
  extras: Record<string, unknown>;
  decodeMs: number;
};

/** A decoded primary image (irot applied), with the named extras asked for, the time spent and which decoder gave the pixels. */
export type DecodedInWorker = DecodedHeif & { extras: Record<string, unknown>; decodeMs: number; decoder: "native" | "wasm" };

const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * HEIC/HEIF decoding on worker threads (the one WorkerPool, one thread per core by default): the
 * libheif wasm module loads once per thread, a worker whose heap grew large is replaced, and a
 * crash fails only its own file (a WorkerError) and the next file gets a new thread. Decode
 * failures reject with a HeifDecodeError (stable `code`). Create one per command, `close()` in finally.
 *
 * With `ffmpeg`, the primary image's pixels are decoded natively (heif-native.ts: libavcodec,
 * about twice as fast as the wasm decoder) while libheif reads everything else (metadata, ICC,
 * irot, the gain map) without decoding them; what the native path declines, libheif decodes.
 * Image data that ffmpeg finds damaged fails the file (HeifDecodeError "DAMAGED"): libheif's
 * decoder conceals such errors and would give a broken picture.
 */
export class HeifDecoder {
  private readonly pool: WorkerPool<HeifTask, WorkerDecoded>;
  private ffmpeg: string | null;
  /** Native decodes that failed since the last one that worked (an ffmpeg without HEVC stops being asked after a few). */
  private nativeFailures = 0;
  private nativeWorked = false;
  /** Why files went to the wasm decoder although ffmpeg was given (reason -> count). */
  readonly declined = new Map<string, number>();

  constructor(threads = availableParallelism(), options: { ffmpeg?: string | null } = {}) {
    this.pool = new WorkerPool<HeifTask, WorkerDecoded>(workerScript("heif-worker"), threads);
    this.ffmpeg = options.ffmpeg ?? null;
  }

  get size(): number {
    return this.pool.size;
  }

  /** Decode the primary image of the file at `src` (irot/imir applied) to RGB, checked whole. */
  async decode(src: string, options: { extras?: string[]; signal?: AbortSignal } = {}): Promise<DecodedInWorker> {
    if (this.ffmpeg) {
      const native = await this.decodeNative(this.ffmpeg, src, options);
      if (native) return native;
    }
    const d = await this.run({ src, ...(options.extras ? { extras: options.extras } : {}) }, options.signal);
    return { ...d, data: asBuffer(d.data), icc: d.icc ? asBuffer(d.icc) : null, decoder: "wasm" };
  }

  private async run(task: HeifTask, signal?: AbortSignal): Promise<WorkerDecoded> {
    try {
      return await this.pool.run(task, signal ? { signal } : {});
    } catch (err) {
      if (err instanceof WorkerError || !(err instanceof Error)) throw err;
      const code = (err as { code?: unknown }).code;
      // the decoder's own verdicts keep their class and code; a read error keeps its errno code
      const verdict = HEIF_DECODE_CODES.find((c) => c === code);
      throw verdict ? new HeifDecodeError(verdict, err.message) : err;
    }
  }

  private decline(reason: string): null {
    this.declined.set(reason, (this.declined.get(reason) ?? 0) + 1);
    return null;
  }

  /** libheif reads all but the pixels (and judges the file) while ffmpeg decodes them; null: decode with libheif instead. */
  private async decodeNative(ffmpeg: string, src: string, options: { extras?: string[]; signal?: AbortSignal }): Promise<DecodedInWorker | null> {
    const task: HeifTask = { src, pixels: false, ...(options.extras ? { extras: options.extras } : {}) };
    const [meta, pixels] = await Promise.allSettled([this.run(task, options.signal), readFile(src).then((b) => decodeHeifNative(ffmpeg, b))]);
    if (meta.status === "rejected") throw meta.reason; // libheif's verdict on a damaged file
    // damaged image data is the file's verdict: libheif would hide it (it conceals decode errors)
    if (pixels.status === "rejected" && pixels.reason instanceof HeifDecodeError && pixels.reason.code === "DAMAGED") throw pixels.reason;
    if (pixels.status === "rejected") {
      if (++this.nativeFailures >= 3 && !this.nativeWorked) this.ffmpeg = null;
      return this.decline(`native decode failed: ${(pixels.reason as Error).message.split("\n")[0]}`);
    }
    if ("unsupported" in pixels.value) return this.decline(pixels.value.unsupported);
    const m = meta.value;
    const p = pixels.value;
    if (m.imir !== null) return this.decline("mirrored (imir)");
    if (p.width !== m.width || p.height !== m.height) return this.decline(`native size ${p.width}x${p.height}, libheif declares ${m.width}x${m.height}`);
    this.nativeFailures = 0;
    this.nativeWorked = true;
    return { ...m, data: p.data, icc: m.icc ? asBuffer(m.icc) : null, decoder: "native", decodeMs: Math.max(m.decodeMs, p.decodeMs) };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
