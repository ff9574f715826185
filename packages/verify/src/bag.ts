import { link, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ArchiveError, reasonOf, sha256File, TEMP_MARKER, writeError, type OnEvent } from "@archive/core";
import { bagitLine } from "./format.js";
import type { HashedFile } from "./hashing.js";
import { BAG_DIR } from "./walk.js";

/** The software agent named in bag-info.txt. */
export const BAG_SOFTWARE_AGENT = "archive 0.1.0 (@archive/verify)";

/**
 * A BagIt 1.0 bag at `<root>/bag/`: the payload under bag/data/ is hard links to the archive
 * files (no second copy of the bytes), so the bag always holds exactly the manifest's bytes.
 * Built beside, then swapped in, so a crash never leaves a half bag under the final name.
 */
export async function writeBag(root: string, files: readonly HashedFile[], onEvent: OnEvent): Promise<{ dir: string; payloadOxum: string }> {
  const final = join(root, BAG_DIR);
  const tmp = join(root, `${TEMP_MARKER}bag-${process.pid}`);
  onEvent({ kind: "stage", stage: "bag", total: files.length });
  await rm(tmp, { recursive: true, force: true });
  try {
    const made = new Set<string>();
    let done = 0;
    for (const f of files) {
      const dest = join(tmp, "data", f.rel);
      const dir = dirname(dest);
      if (!made.has(dir)) {
        await mkdir(dir, { recursive: true });
        made.add(dir);
      }
      try {
        await link(f.abs, dest);
      } catch (err) {
        throw new ArchiveError(
          "E_WRITE",
          `cannot hard-link ${f.rel} into the bag (${reasonOf(err)}); the bag needs a file system with hard links`,
          { cause: err },
        );
      }
      if (++done % 200 === 0) onEvent({ kind: "progress", stage: "bag", done, total: files.length });
    }
    const bytes = files.reduce((n, f) => n + f.size, 0);
    const payloadOxum = `${bytes}.${files.length}`;
    const bagitTxt = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
    const bagInfo =
      [
        `Bag-Software-Agent: ${BAG_SOFTWARE_AGENT}`,
        `Bagging-Date: ${new Date().toISOString().slice(0, 10)}`,
        `Payload-Oxum: ${payloadOxum}`,
        `External-Description: iCloud Photos archive; payload files are hard links to the workspace's files`,
      ].join("\n") + "\n";
    const manifest = files.map((f) => bagitLine(f.sha256, `data/${f.rel}`) + "\n").join("");
    const tags: [string, string][] = [
      ["bagit.txt", bagitTxt],
      ["bag-info.txt", bagInfo],
      ["manifest-sha256.txt", manifest],
    ];
    let tagManifest = "";
    for (const [name, content] of tags) {
      await writeFile(join(tmp, name), content);
      tagManifest += bagitLine(await sha256File(join(tmp, name)), name) + "\n";
    }
    await writeFile(join(tmp, "tagmanifest-sha256.txt"), tagManifest);
    onEvent({ kind: "progress", stage: "bag", done: files.length, total: files.length });
    // Swap: old bag aside, new bag in, old bag removed.
    const old = join(root, `${TEMP_MARKER}bag-old-${process.pid}`);
    let hadOld = false;
    try {
      await rename(final, old);
      hadOld = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw writeError(err, final);
    }
    await rename(tmp, final);
    if (hadOld) await rm(old, { recursive: true, force: true });
    return { dir: final, payloadOxum };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    if (err instanceof ArchiveError) throw err;
    throw writeError(err, final);
  }
}

