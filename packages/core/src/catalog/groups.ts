// Catalog queries: the Live Photo, burst and edit groups, rebuilt from the items after each scan,
// all in SQL so it costs the same memory for 100 files or 100,000. Owner: scan package.
import type { Catalog } from "./db.js";

/** Seconds a Live Photo's still and video may differ when paired by name (no content id). */
const LIVE_NAME_WINDOW_MS = 5_000;

/** Live Photos by id: still (MakerNote MediaGroupUUID) and video (ContentIdentifier) with the same id. */
function liveById(cat: Catalog): void {
  cat.db.exec(`
    WITH ids AS (
      SELECT content_id FROM items WHERE content_id IS NOT NULL AND missing = 0 AND error IS NULL
      GROUP BY content_id
      HAVING SUM(kind = 'video') >= 1 AND SUM(kind IN ('photo', 'raw')) >= 1)
    INSERT INTO groups (type, key) SELECT 'live', content_id FROM ids`);
  cat.db.exec(`
    INSERT INTO group_members (group_id, item_id, role)
    SELECT g.id, i.id, CASE WHEN i.kind = 'video' THEN 'video' ELSE 'still' END
    FROM groups g JOIN items i ON i.content_id = g.key AND i.missing = 0 AND i.error IS NULL
    WHERE g.type = 'live' AND i.kind IN ('video', 'photo', 'raw') AND i.variant <> 'edit'`);
}

/**
 * Name fallback: same folder and name, times close together, and at most one side has a content
 * id (a still re-saved by an app loses its MakerNote while the MOV keeps its id; two different
 * ids are two different Live Photos).
 */
function liveByName(cat: Catalog): void {
  const db = cat.db;
  // (items already in a Live group, collected once: a correlated subquery here made this
  // query quadratic, 230 s on 10,000 files)
  db.exec("CREATE TEMP TABLE IF NOT EXISTS live_taken (id INTEGER PRIMARY KEY)");
  db.exec("DELETE FROM temp.live_taken");
  db.exec(`INSERT OR IGNORE INTO temp.live_taken SELECT gm.item_id FROM group_members gm JOIN groups g ON g.id = gm.group_id AND g.type = 'live'`);
  const pairs = cat
    .stmt(
      `SELECT p.id AS still, v.id AS video FROM items p
       JOIN items v INDEXED BY items_stem ON v.dir = p.dir AND v.base_stem = p.base_stem AND v.source_id = p.source_id
       WHERE p.kind IN ('photo', 'raw') AND v.kind = 'video' AND p.variant = 'original' AND v.variant = 'original'
         AND p.missing = 0 AND v.missing = 0 AND p.error IS NULL AND v.error IS NULL
         AND (p.content_id IS NULL OR v.content_id IS NULL)
         AND (p.capture_source NOT IN ('exif', 'quicktime') OR v.capture_source NOT IN ('exif', 'quicktime')
              OR ABS(p.capture_utc_ms - v.capture_utc_ms) <= ?)
         AND p.id NOT IN (SELECT id FROM temp.live_taken) AND v.id NOT IN (SELECT id FROM temp.live_taken)`,
    )
    .all(LIVE_NAME_WINDOW_MS) as { still: number; video: number }[];
  const addGroup = cat.stmt("INSERT OR IGNORE INTO groups (type, key) VALUES (?, ?)");
  const groupId = cat.stmt("SELECT id FROM groups WHERE type = ? AND key = ?");
  const addMember = cat.stmt("INSERT OR IGNORE INTO group_members (group_id, item_id, role) VALUES (?, ?, ?)");
  for (const p of pairs) {
    const key = `name:${p.still}:${p.video}`;
    addGroup.run("live", key);
    const { id } = groupId.get("live", key) as { id: number };
    addMember.run(id, p.still, "still");
    addMember.run(id, p.video, "video");
  }
}

/** Bursts: two or more present items with the same Apple BurstUUID. */
function bursts(cat: Catalog): void {
  cat.db.exec(`
    INSERT INTO groups (type, key)
    SELECT 'burst', burst_id FROM items WHERE burst_id IS NOT NULL AND missing = 0 GROUP BY burst_id HAVING COUNT(*) >= 2`);
  cat.db.exec(`
    INSERT INTO group_members (group_id, item_id, role)
    SELECT g.id, i.id, 'frame' FROM groups g JOIN items i ON i.burst_id = g.key AND i.missing = 0 WHERE g.type = 'burst'`);
}

/**
 * Edit sets: a folder + base name that has an original and at least one edit or sidecar.
 * (joined through a temp table by (source_id, dir, base_stem), which the items_stem index
 * serves; joining on the concatenated key was quadratic)
 */
function editSets(cat: Catalog): void {
  const db = cat.db;
  db.exec("CREATE TEMP TABLE IF NOT EXISTS edit_sets (source_id INTEGER, dir TEXT, base_stem TEXT)");
  db.exec("DELETE FROM temp.edit_sets");
  db.exec(`
    INSERT INTO temp.edit_sets SELECT source_id, dir, base_stem FROM items WHERE missing = 0
    GROUP BY source_id, dir, base_stem
    HAVING SUM(variant = 'original' AND kind IN ('photo', 'raw', 'video')) >= 1 AND SUM(variant <> 'original') >= 1`);
  db.exec(`INSERT INTO groups (type, key) SELECT 'edit', source_id || ':' || dir || '/' || base_stem FROM temp.edit_sets`);
  db.exec(`
    INSERT INTO group_members (group_id, item_id, role)
    SELECT g.id, i.id, i.variant FROM temp.edit_sets e
    JOIN groups g ON g.type = 'edit' AND g.key = e.source_id || ':' || e.dir || '/' || e.base_stem
    JOIN items i INDEXED BY items_stem ON i.dir = e.dir AND i.base_stem = e.base_stem AND i.source_id = e.source_id AND i.missing = 0
    WHERE NOT (i.variant = 'original' AND i.kind = 'video' AND EXISTS (
      SELECT 1 FROM items o INDEXED BY items_stem WHERE o.dir = i.dir AND o.base_stem = i.base_stem AND o.source_id = i.source_id
        AND o.variant = 'original' AND o.kind IN ('photo', 'raw') AND o.missing = 0))`);
}

/** Sidecars and edits without a capture time of their own take their original's. */
function inheritCaptureTimes(cat: Catalog): void {
  cat.db.exec(`
    UPDATE items AS s SET
      capture_local = o.capture_local, capture_offset = o.capture_offset, capture_utc_ms = o.capture_utc_ms,
      capture_year = o.capture_year, capture_month = o.capture_month, capture_source = 'original'
    FROM group_members sm JOIN groups g ON g.id = sm.group_id AND g.type = 'edit'
    JOIN group_members om ON om.group_id = g.id AND om.role = 'original'
    JOIN items o ON o.id = om.item_id
    WHERE s.id = sm.item_id AND sm.role <> 'original'
      AND (s.capture_source IS NULL OR s.capture_source IN ('filename', 'mtime', 'original'))
      AND o.capture_source NOT IN ('mtime', 'original')`);
}

/**
 * Rebuild the Live Photo, burst and edit groups from the catalog:
 * - live: still and video with the same id; only when at most one side has an id (and it matched
 *   nothing), the same folder + name with capture times within 5 s;
 * - burst: the same Apple BurstUUID;
 * - edit: an original with its edited renders (IMG_E1234, *_edited) and AAE sidecars (IMG_1234.AAE,
 *   IMG_O1234.aae); sidecars and edits without a capture time of their own take the original's.
 */
export function regroup(cat: Catalog): void {
  cat.tx(() => {
    cat.db.exec("DELETE FROM groups WHERE type IN ('live', 'burst', 'edit')");
    liveById(cat);
    liveByName(cat);
    bursts(cat);
    editSets(cat);
    inheritCaptureTimes(cat);
  });
}
