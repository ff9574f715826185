// Worker script of HeifDecoder (a tsup entry of core: dist/heif-worker.js). Decodes in the
// thread and moves the pixels to the caller without a copy.
import { readFileSync } from "node:fs";
import type { Transferable } from "node:worker_threads";
import { serveTasks } from "../pool-worker.js";
import { decodePrimary, heapBytes, HeifDecodeError, type HeifExtractor } from "./heif-decode.js";
import { HEIF_EXTRACTORS } from "./heif-extras.js";
import type { HeifTask, WorkerDecoded } from "./heif-pool.js";

/** Recycle a worker whose wasm heap has grown past this (a wasm heap never shrinks). */
const MAX_HEAP = 768 * 1024 * 1024;

function extractors(names: readonly string[]): Record<string, HeifExtractor> {
  const out: Record<string, HeifExtractor> = {};
  for (const name of names) {
    const fn = HEIF_EXTRACTORS[name];
    if (!fn) throw new HeifDecodeError("USAGE", `no HEIF extractor named ${name}`);
    out[name] = fn;
  }
  return out;
}

serveTasks<HeifTask, WorkerDecoded>((task) => {
  const t0 = performance.now();
  const d = decodePrimary(readFileSync(task.src), extractors(task.extras ?? []), { pixels: task.pixels !== false });
  const transfer: Transferable[] = [];
  // only memory the decoder allocated for this image alone may move (never a pooled Buffer)
  if (d.data.byteOffset === 0 && d.data.buffer.byteLength === d.data.length) transfer.push(d.data.buffer as ArrayBuffer);
  const value: WorkerDecoded = { ...d, decodeMs: performance.now() - t0 };
  return { value, transfer, retire: heapBytes() > MAX_HEAP };
});
