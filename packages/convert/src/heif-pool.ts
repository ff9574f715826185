import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { HeifJob, HeifReply } from "./heif-worker.js";

type Ok = Extract<HeifReply, { ok: true }>;

/** A HEIF decode failure reported by a worker (stable `code` from the decoder). */
export class HeifError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

interface Slot {
  worker: Worker;
  job: { job: HeifJob; resolve: (r: Ok) => void; reject: (e: Error) => void } | null;
}

/** Recycle a worker whose wasm heap has grown past this (the heap never shrinks). */
const MAX_HEAP = 768 * 1024 * 1024;

/**
 * HEIC -> JPEG (pixels only) on worker threads, one per core by default. A worker that crashes
 * fails only its own file and is replaced. Create one per command; `close()` in `finally`.
 */
export class HeifPool {
  private readonly slots: Slot[] = [];
  private readonly queue: { job: HeifJob; resolve: (r: Ok) => void; reject: (e: Error) => void }[] = [];
  private nextId = 1;
  private closed = false;

  constructor(threads = availableParallelism()) {
    for (let i = 0; i < Math.max(1, threads); i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(new URL("./heif-worker.js", import.meta.url));
    const slot: Slot = { worker, job: null };
    worker.on("message", (r: HeifReply) => {
      const cur = slot.job;
      slot.job = null;
      if (cur) {
        if (r.ok) cur.resolve(r);
        else cur.reject(new HeifError(r.code, r.error));
      }
      if (r.ok && r.heapBytes > MAX_HEAP) this.replace(slot, false);
      else this.pump();
    });
    worker.on("error", (err) => {
      const cur = slot.job;
      slot.job = null;
      cur?.reject(new HeifError("CRASH", `decoder crashed: ${err.message}`));
      this.replace(slot, true);
    });
    worker.unref();
    return slot;
  }

  private replace(slot: Slot, crashed: boolean): void {
    const i = this.slots.indexOf(slot);
    if (!crashed) void slot.worker.terminate();
    if (this.closed || i < 0) return;
    this.slots[i] = this.spawn();
    this.pump();
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.job) continue;
      const next = this.queue.shift();
      if (!next) break;
      slot.job = next;
      slot.worker.ref();
      slot.worker.postMessage(next.job);
    }
    for (const slot of this.slots) if (!slot.job) slot.worker.unref();
  }

  /** Decode `src` and write a metadata-free JPEG to `out`. */
  convert(src: string, out: string, quality: number): Promise<Ok> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, src, out, quality }, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queue.splice(0)) q.reject(new HeifError("CLOSED", "converter closed"));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
