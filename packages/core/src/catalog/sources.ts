import type { Catalog } from "./db.js";

/** The id of a source root, adding it on first use. */
export function sourceId(cat: Catalog, root: string): number {
  const found = cat.stmt("SELECT id FROM sources WHERE root = ?").get(root) as { id: number } | undefined;
  if (found) return found.id;
  const r = cat.stmt("INSERT INTO sources (root, added_at) VALUES (?, ?)").run(root, new Date().toISOString());
  return Number(r.lastInsertRowid);
}

/** Every source root of the workspace, oldest first. */
export function listSources(cat: Catalog): { id: number; root: string }[] {
  return cat.stmt("SELECT id, root FROM sources ORDER BY id").all() as { id: number; root: string }[];
}
