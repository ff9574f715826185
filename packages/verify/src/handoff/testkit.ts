// Test helpers for the hand-off tests (not part of the package's API): a small archive of real
// files with catalog items and jobs, its manifest, and an rclone config in a temporary folder.
import { copyFile, mkdir, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { openWorkspace, type Workspace } from "@archive/core";
import { buildManifest } from "../manifest.js";
import { addItem, addJob } from "../../test/helpers.js";

/** Real fixture files (relative to ../shared/fixtures/real) and the archive path each gets. */
export const ARCHIVE_FILES: readonly [string, string][] = [
  ["lychee/train.mov", "converted/2021/train.mov"],
  ["lychee/classic-car.heic", "converted/2021/classic-car.heic"],
  ["immich/IMG_2682.heic", "converted/2020/IMG_2682.heic"],
  ["metadata-extractor-images/with-gps.mov", "converted/2019/with-gps.mov"],
  ["osxphotos/IMG_0102.HEIC", "converted/2019/IMG 0102 (copy).HEIC"],
  ["osxphotos/IMG_2908.PNG", "converted/2018/IMG_2908.PNG"],
  ["pillow_heif/empty_icc.heic", "converted/2018/empty_icc.heic"],
  ["exoplayer/dolbyVision-hdr.MOV", "converted/2017/dolbyVision-hdr.MOV"],
];

/** A workspace at `root` holding ARCHIVE_FILES as archived items, with manifest-sha256.txt. */
export async function buildHandoffArchive(fixtures: string, root: string): Promise<void> {
  const ws: Workspace = openWorkspace(root, { create: true, lock: false });
  try {
    for (const [src, out] of ARCHIVE_FILES) {
      await mkdir(dirname(join(root, out)), { recursive: true });
      await copyFile(join(fixtures, src), join(root, out));
      const year = Number(out.split("/")[1]);
      const id = addItem(ws, fixtures, src, { kind: /\.mov$/i.test(src) ? "video" : "photo", format: "x", size: (await stat(join(fixtures, src))).size, capture_year: year });
      addJob(ws, id, { action: "copy", status: "done", output_rel: out });
    }
    await buildManifest({ workspace: root, catalog: ws.catalog, threads: 2 });
  } finally {
    ws.close();
  }
}

/** An rclone config file with a `local`-type remote named `backup`; returns its path. */
export async function localRemoteConfig(dir: string): Promise<string> {
  const file = join(dir, "rclone.conf");
  await writeFile(file, "[backup]\ntype = local\n");
  return file;
}

/** Flip one bit in the middle of a file, in place (size and name unchanged). */
export async function flipBit(path: string): Promise<void> {
  const { open } = await import("node:fs/promises");
  const fh = await open(path, "r+");
  try {
    const { size } = await fh.stat();
    const pos = Math.floor(size / 2);
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, pos);
    b[0] = b[0]! ^ 0x10;
    await fh.write(b, 0, 1, pos);
  } finally {
    await fh.close();
  }
}
