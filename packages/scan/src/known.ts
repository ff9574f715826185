import { join } from "node:path";
import type { Catalog, OnEvent } from "@archive/core";
import { HashPool, forEachLimit, hasArchivedContent, noEvents, possiblyArchivedPage, recordContentHash } from "@archive/core";

/**
 * Before a newer export of the same library is converted, find which of its files are already
 * archived under any name: hash (SHA-256) only the files not archived yet whose size equals the
 * size of an archived file, since nothing else can match. Stores items.sha256 when the file is
 * unchanged since the scan. Returns how many files were hashed.
 */
export async function hashPossiblyArchived(catalog: Catalog, options: { onEvent?: OnEvent; signal?: AbortSignal } = {}): Promise<number> {
  const onEvent = options.onEvent ?? noEvents;
  if (!hasArchivedContent(catalog)) return 0;
  const pool = new HashPool();
  let hashed = 0;
  try {
    onEvent({ kind: "stage", stage: "match" });
    let last = 0;
    for (;;) {
      const page = possiblyArchivedPage(catalog, last);
      if (!page.length || options.signal?.aborted) break;
      last = page[page.length - 1]!.id;
      await forEachLimit(
        page,
        pool.size * 2,
        async (it) => {
          try {
            const r = await pool.hash(join(it.root, it.rel_path));
            recordContentHash(catalog, it.id, r.sha256, it.size, it.mtime_ms);
            hashed++;
            onEvent({ kind: "progress", stage: "match", done: hashed });
          } catch {
            // unreadable now: convert will report it
          }
        },
        options.signal,
      );
    }
  } finally {
    await pool.close();
  }
  return hashed;
}
