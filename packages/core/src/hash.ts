import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createRequire } from "node:module";
import type { IHasher } from "hash-wasm";

/**
 * SHA-256 of a file, streamed through node:crypto (OpenSSL, SHA-NI): measured ~6x faster than
 * hash-wasm's SHA-256 here, see docs/benchmarks.md.
 */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const h = createHash("sha256");
    const s = createReadStream(path, { highWaterMark: 1024 * 1024 });
    s.on("data", (d) => h.update(d));
    s.on("error", reject);
    s.on("end", () => resolvePromise(h.digest("hex")));
  });
}

/** SHA-256 of an in-memory buffer. */
export function sha256Buffer(buf: Uint8Array): string {
  return createHash("sha256").update(buf).digest("hex");
}

let xxhPromise: Promise<IHasher> | undefined;

// hash-wasm's minified CommonJS build, on first use: importing its ESM build cost 130-240 ms here,
// paid by every command that imports core, most of which never compute a fingerprint.
const createXXHash128 = (): Promise<IHasher> =>
  (createRequire(import.meta.url)("hash-wasm") as typeof import("hash-wasm")).createXXHash128();

/**
 * A fast pre-filter fingerprint: xxh128 of the first and last `window` bytes (and the size).
 * Only ever used to rule candidates out; equality is proven with SHA-256.
 */
export async function edgeFingerprint(path: string, size: number, window = 4096): Promise<string> {
  const hasher = await (xxhPromise ??= createXXHash128());
  const fh = await open(path, "r");
  try {
    const n = Math.min(window, size);
    const buf = Buffer.alloc(size > window ? n * 2 : n);
    await fh.read(buf, 0, n, 0);
    // the suffix may overlap the prefix for small files: still the same bytes for the same content
    if (size > window) await fh.read(buf, n, n, size - n);
    hasher.init();
    hasher.update(buf);
    return hasher.digest("hex");
  } finally {
    await fh.close();
  }
}
