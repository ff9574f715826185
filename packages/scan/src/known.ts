import { join } from "node:path";
import type { Catalog, OnEvent } from "@archive/core";
import { HashPool, forEachLimit, noEvents } from "@archive/core";

/**
 * Before a newer export of the same library is converted, find which of its files are already
 * archived under any name: hash (SHA-256) only the files not archived yet whose size equals the
 * size of an archived file, since nothing else can match. Stores items.sha256 when the file is
 * unchanged since the scan. Returns how many files were hashed.
 */
export async function hashPossiblyArchived(catalog: Catalog, options: { onEvent?: OnEvent; signal?: AbortSignal } = {}): Promise<number> {
  const onEvent = options.onEvent ?? noEvents;
  const db = catalog.db;
  const archived = (db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE status = 'done' AND action <> 'duplicate'").get() as { n: number }).n;
  if (!archived) return 0;
  const candidates = db.prepare(
    `SELECT i.id, i.size, i.mtime_ms, s.root, i.rel_path FROM items i JOIN sources s ON s.id = i.source_id
     WHERE i.missing = 0 AND i.error IS NULL AND i.sha256 IS NULL AND i.size > 0
       AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.item_id = i.id AND j.status = 'done')
       AND i.size IN (SELECT a.size FROM items a JOIN jobs j ON j.item_id = a.id AND j.status = 'done' AND j.action <> 'duplicate')
       AND i.id > ? ORDER BY i.id LIMIT 500`,
  );
  const store = db.prepare("UPDATE items SET sha256 = ? WHERE id = ? AND size = ? AND mtime_ms = ?");
  const pool = new HashPool();
  let hashed = 0;
  try {
    onEvent({ kind: "stage", stage: "match" });
    let last = 0;
    for (;;) {
      const page = candidates.all(last) as { id: number; size: number; mtime_ms: number; root: string; rel_path: string }[];
      if (!page.length || options.signal?.aborted) break;
      last = page[page.length - 1]!.id;
      await forEachLimit(
        page,
        pool.size * 2,
        async (it) => {
          try {
            const r = await pool.hash(join(it.root, it.rel_path));
            store.run(r.sha256, it.id, it.size, it.mtime_ms);
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
