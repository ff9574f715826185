import { createHash } from "node:crypto";
import { copyFile, cp, mkdir, readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { openWorkspace, sourceId as sourceIdOf, type Workspace } from "@archive/core";
import { execFileP, tempDir } from "../../../test/support.js";

export { execFileP, hasTool, realFixtures, repoRoot, tempDir } from "../../../test/support.js";

/** Insert a catalog item as scan would (only the columns verify reads matter). */
export function addItem(
  ws: Workspace,
  source: string,
  rel: string,
  fields: { kind: string; format: string; size: number } & Record<string, unknown>,
): number {
  const srcId = sourceIdOf(ws.catalog, source);
  const name = rel.split("/").pop()!;
  const cols: Record<string, unknown> = {
    source_id: srcId,
    rel_path: rel,
    name,
    dir: rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "",
    base_stem: name.replace(/\.[^.]*$/, ""),
    variant: "original",
    mtime_ms: 0,
    scanned_at: new Date().toISOString(),
    ...fields,
  };
  const keys = Object.keys(cols);
  const r = ws.catalog.db
    .prepare(`INSERT INTO items (${keys.join(", ")}) VALUES (${keys.map(() => "?").join(", ")})`)
    .run(...keys.map((k) => cols[k]));
  return Number(r.lastInsertRowid);
}

/** Record a job as convert does. */
export function addJob(
  ws: Workspace,
  itemId: number,
  job: { action: string; status: string; output_rel?: string | null; reason?: string | null; output_sha256?: string | null; params?: string | null; duplicate_of?: number | null },
): void {
  ws.catalog.db
    .prepare(
      `INSERT INTO jobs (item_id, action, status, output_rel, params, reason, output_sha256, duplicate_of, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(itemId, job.action, job.status, job.output_rel ?? null, job.params ?? null, job.reason ?? null, job.output_sha256 ?? null, job.duplicate_of ?? null, new Date().toISOString());
}

/**
 * Record in the journal that convert wrote `rel` as it is now (its SHA-256 as output_sha256), as a
 * re-conversion does: the only way new bytes may enter the manifest (the manifest is evidence).
 */
export async function journalWrote(root: string, rel: string): Promise<void> {
  const sha = createHash("sha256").update(await readFile(join(root, rel))).digest("hex");
  const ws = openWorkspace(root, { lock: false });
  try {
    ws.catalog.db.prepare("UPDATE jobs SET output_sha256 = ? WHERE output_rel = ?").run(sha, rel);
  } finally {
    ws.close();
  }
}

export function addLivePair(ws: Workspace, key: string, ids: number[]): void {
  const g = ws.catalog.db.prepare("INSERT INTO groups (type, key) VALUES ('live', ?)").run(key);
  for (const [i, id] of ids.entries()) {
    ws.catalog.db.prepare("INSERT INTO group_members (group_id, item_id, role) VALUES (?, ?, ?)").run(g.lastInsertRowid, id, i === 0 ? "photo" : "video");
  }
}

/**
 * A small converted archive built without the converter, from real fixtures:
 * - lychee/train.jpg  -> converted/2021/train.jpg (byte-exact copy; Live Photo still)
 * - lychee/train.mov  -> converted/2021/train.mp4 (H.264 re-encode by ffmpeg + exiftool metadata, as convert does)
 * - "Apple iPhone 4.jpg" -> converted/2011/Apple iPhone 4.jpg (copy; a name with spaces)
 * - with-gps.mov      -> converted/2019/with-gps.mov (copy; rotated video)
 * - osxphotos/wedding.AAE: skipped with a reason; exiv2 poc MOV: no job yet ("not converted yet")
 */
export async function buildArchive(fixtures: string, root: string): Promise<void> {
  const ws = openWorkspace(root, { create: true, lock: false });
  try {
    const place = async (src: string, out: string) => {
      await mkdir(dirname(join(root, out)), { recursive: true });
      await copyFile(join(fixtures, src), join(root, out));
    };
    const size = async (rel: string) => (await stat(join(fixtures, rel))).size;
    const jpg = addItem(ws, fixtures, "lychee/train.jpg", { kind: "photo", format: "jpeg", size: await size("lychee/train.jpg"), content_id: "E905E6C6-C747-4805-942F-9904A0281F02" });
    await place("lychee/train.jpg", "converted/2021/train.jpg");
    addJob(ws, jpg, { action: "copy", status: "done", output_rel: "converted/2021/train.jpg" });

    const mov = addItem(ws, fixtures, "lychee/train.mov", { kind: "video", format: "mov", size: await size("lychee/train.mov"), content_id: "E905E6C6-C747-4805-942F-9904A0281F02" });
    const mp4 = join(root, "converted/2021/train.mp4");
    await mkdir(dirname(mp4), { recursive: true });
    await execFileP("ffmpeg", ["-nostdin", "-v", "error", "-y", "-i", join(fixtures, "lychee/train.mov"), "-map", "0:v:0", "-map", "0:a:0",
      "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", mp4]);
    await execFileP("exiftool", ["-q", "-overwrite_original", "-tagsFromFile", join(fixtures, "lychee/train.mov"), "-Keys:All", "-QuickTime:CreateDate", "-UserData:All", mp4]);
    addJob(ws, mov, { action: "convert", status: "done", output_rel: "converted/2021/train.mp4" });
    addLivePair(ws, "E905E6C6-C747-4805-942F-9904A0281F02", [jpg, mov]);

    const ip4 = addItem(ws, fixtures, "metadata-extractor-images/Apple iPhone 4.jpg", { kind: "photo", format: "jpeg", size: await size("metadata-extractor-images/Apple iPhone 4.jpg") });
    await place("metadata-extractor-images/Apple iPhone 4.jpg", "converted/2011/Apple iPhone 4.jpg");
    addJob(ws, ip4, { action: "copy", status: "done", output_rel: "converted/2011/Apple iPhone 4.jpg" });

    const gps = addItem(ws, fixtures, "metadata-extractor-images/with-gps.mov", { kind: "video", format: "mov", size: await size("metadata-extractor-images/with-gps.mov") });
    await place("metadata-extractor-images/with-gps.mov", "converted/2019/with-gps.mov");
    addJob(ws, gps, { action: "copy", status: "done", output_rel: "converted/2019/with-gps.mov" });

    const aae = addItem(ws, fixtures, "osxphotos/wedding.AAE", { kind: "sidecar", format: "aae", size: await size("osxphotos/wedding.AAE") });
    addJob(ws, aae, { action: "copy", status: "skipped", reason: "orphan sidecar: its photo is not in the library" });
    addItem(ws, fixtures, "exiv2/issue_ghsa_fgw8_p7pr_37cp_poc.mov", { kind: "video", format: "mov", size: await size("exiv2/issue_ghsa_fgw8_p7pr_37cp_poc.mov") });
  } finally {
    ws.close();
  }
}

/** A fresh copy of a built archive (timestamps kept), so each test can damage its own. */
export async function cloneArchive(template: string): Promise<string> {
  const dir = await tempDir();
  await cp(template, dir, { recursive: true, preserveTimestamps: true });
  return dir;
}
