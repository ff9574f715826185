// SQL fragments of the one "current content" rule (see duplicates.ts), for queries inside
// packages/core/src/catalog/ only: this file is deliberately not re-exported from the index.

/**
 * Job `j` of item `i` archived the item's current bytes as an output of its own: finished, not a
 * duplicate, and journalled for the size and mtime the item has now (a changed source is new content).
 */
export const archivedNowSql = (j: string, i: string): string =>
  `(${j}.status = 'done' AND ${j}.action <> 'duplicate' AND ${sameSourceSql(j, i)})`;

/** Job `j` of item `i` is finished (any action) and journalled for the item's current size and mtime. */
export const jobCurrentSql = (j: string, i: string): string => `(${j}.status = 'done' AND ${sameSourceSql(j, i)})`;

/**
 * The job was journalled for the item's current size and mtime. Convert always records both; a
 * row without them (written by hand in a test, or by a tool that does not know them) is taken at
 * its word, but any recorded fact that disagrees makes the job describe older content.
 */
export const sameSourceSql = (j: string, i: string): string =>
  `COALESCE(${j}.source_size = ${i}.size AND ${j}.source_mtime_ms = ${i}.mtime_ms, ${j}.source_size IS NULL AND ${j}.source_mtime_ms IS NULL)`;

/**
 * A dedupe group membership `d` (role 'duplicate') of item `di` is current: the group's keeper `k`
 * (item `ki`) and the duplicate both still carry the group's SHA-256 (a re-scan of a changed file
 * clears items.sha256, so an edited former duplicate drops out). Needs `g` = the group.
 */
export const currentGroupSql = (g: string, di: string, ki: string): string =>
  `(${g}.type = 'duplicate' AND ${di}.sha256 = ${g}.key AND ${ki}.sha256 = ${g}.key AND ${di}.size = ${ki}.size)`;
