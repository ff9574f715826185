import { createHash } from "node:crypto";
import { createReadStream, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { openCatalog, TEMP_MARKER, type ExifTool, type JobRow as CatalogJobRow } from "@archive/core";
import { execFileP, runArchive } from "../../../test/support.js";

export { execFileP, hasTool, realFixtures, repoRoot, runArchive, tempDir, treeChecksum } from "../../../test/support.js";

/** `archive <args> --json` in a workspace; the parsed result and the exit code. */
export async function archiveJson<T>(ws: string, args: string[]): Promise<{ code: number; json: T; stderr: string }> {
  const r = await runArchive([...args, "-C", ws, "--json"]);
  let json: T;
  try {
    json = JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`archive ${args.join(" ")} exited ${r.code} without JSON: ${r.stderr || r.stdout}`);
  }
  return { code: r.code, json, stderr: r.stderr };
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** Every file under `dir` (relative, "/"-separated, sorted); empty when `dir` does not exist. */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath ?? (d as unknown as { path: string }).path, d.name).slice(dir.length + 1))
    .sort();
}

/** Temporary names left anywhere in the workspace's output folders. */
export function tempFiles(ws: string): string[] {
  return ["converted", "originals"].flatMap((top) => listFiles(join(ws, top)).filter((p) => p.split("/").pop()!.startsWith(TEMP_MARKER) || p.includes("_exiftool_tmp")));
}

/** A job journal row (its type is declared once, in core's catalog/schema.ts) with its item's source path. */
export type JobRow = Pick<CatalogJobRow, "item_id" | "action" | "status" | "output_rel" | "output_sha256" | "output_size" | "reason" | "duplicate_of" | "params"> & {
  rel_path: string;
};

/** The job journal joined with the items, by source path (read-only, after the CLI exited). */
export function journal(ws: string): Map<string, JobRow> {
  const cat = openCatalog(join(ws, ".archive/catalog.db"), { readonly: true });
  try {
    const rows = cat.db
      .prepare("SELECT i.rel_path, j.item_id, j.action, j.status, j.output_rel, j.output_sha256, j.output_size, j.reason, j.duplicate_of, j.params FROM jobs j JOIN items i ON i.id = j.item_id")
      .all() as JobRow[];
    return new Map(rows.map((r) => [r.rel_path, r]));
  } finally {
    cat.close();
  }
}

export type Tags = Record<string, unknown>;

/** Tags with numeric values (-n), as exiftool prints them. */
export async function readTags(et: ExifTool, file: string): Promise<Tags> {
  return (await et.readRaw(file, { readArgs: ["-n"] })) as unknown as Tags;
}

export interface FfStream {
  codec_type: string;
  codec_name?: string;
  profile?: string;
  pix_fmt?: string;
  color_transfer?: string;
  color_primaries?: string;
  color_space?: string;
  bits_per_raw_sample?: string;
  width?: number;
  height?: number;
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}

export async function ffprobe(file: string): Promise<{ streams: FfStream[]; format: { duration?: string; format_name?: string } }> {
  const { stdout } = await execFileP("ffprobe", ["-v", "error", "-print_format", "json", "-show_streams", "-show_format", file], { maxBuffer: 16 << 20 });
  return JSON.parse(stdout);
}

/** Full decode of a video; any decoder error fails (-xerror), as the architecture notes require. */
export async function ffmpegDecodes(file: string): Promise<void> {
  await execFileP("ffmpeg", ["-hide_banner", "-nostdin", "-v", "error", "-xerror", "-i", file, "-f", "null", "-"], { maxBuffer: 16 << 20 });
}
