import { posix } from "node:path";

export type Layout = "mirror" | "date";

/** Split a file name into stem and extension ("IMG_1.HEIC" -> ["IMG_1", ".HEIC"]). */
export function splitName(name: string): [string, string] {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
}

/**
 * The folder (relative to the workspace root) an item's outputs go to: a mirror of the source
 * tree, or YYYY/MM/ by capture date. Source paths only ever contribute path segments that
 * cannot climb out ("..", absolute paths are impossible from a walk, but are refused anyway).
 */
export function outputDir(
  top: "converted" | "originals",
  layout: Layout,
  item: { rel_path: string; capture_year: number | null; capture_month: number | null },
  sourcePrefix: string,
): string {
  if (layout === "date") {
    const y = item.capture_year ?? null;
    const sub = y === null ? "undated" : `${y}/${String(item.capture_month ?? 1).padStart(2, "0")}`;
    return posix.join(top, sourcePrefix, sub);
  }
  const dir = posix.dirname(item.rel_path);
  const safe = dir === "." ? "" : dir.split("/").filter((p) => p !== ".." && p !== "." && p !== "").join("/");
  return posix.join(top, sourcePrefix, safe);
}

/** A candidate name for attempt n: "IMG_1234.jpg", then "IMG_1234~2.jpg", "IMG_1234~3.jpg", ... */
export function candidateName(stem: string, ext: string, attempt: number): string {
  return attempt <= 1 ? `${stem}${ext}` : `${stem}~${attempt}${ext}`;
}
