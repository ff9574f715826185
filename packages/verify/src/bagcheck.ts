import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { reasonOf, sha256File } from "@archive/core";
import { bagitDecodePath } from "./format.js";
import { BAG_DIR } from "./walk.js";

/**
 * Problems with `<workspace>/bag/` against the verified manifest: the bag must list the same
 * files with the same SHA-256, its payload must be the archive's own files (same inode: the bytes
 * fixity just checked), and its tag manifest must match. Empty when there is no bag.
 */
export async function checkBag(workspace: string, manifest: Map<string, string>): Promise<{ path: string; reason: string }[]> {
  const bag = join(workspace, BAG_DIR);
  if (!existsSync(join(bag, "bagit.txt"))) return [];
  const problems: { path: string; reason: string }[] = [];
  const stale = "run `archive manifest --bagit` to rebuild the bag";
  let text: string;
  try {
    text = await readFile(join(bag, "manifest-sha256.txt"), "utf8");
  } catch (err) {
    return [{ path: `${BAG_DIR}/manifest-sha256.txt`, reason: `cannot read the bag's manifest: ${reasonOf(err)}` }];
  }
  const listed = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([0-9a-fA-F]{64})[ \t]+(.+)$/.exec(line);
    if (!m) continue;
    const rel = bagitDecodePath(m[2]!);
    if (rel.startsWith("data/")) listed.set(rel.slice(5), m[1]!.toLowerCase());
  }
  let differ = 0;
  for (const [rel, sha] of manifest) if (listed.get(rel) !== sha) differ++;
  for (const rel of listed.keys()) if (!manifest.has(rel)) differ++;
  if (differ) problems.push({ path: `${BAG_DIR}/manifest-sha256.txt`, reason: `the bag is out of date: ${differ} files differ from manifest-sha256.txt; ${stale}` });
  for (const rel of listed.keys()) {
    if (!manifest.has(rel)) continue;
    try {
      const [a, b] = await Promise.all([stat(join(workspace, rel)), stat(join(bag, "data", rel))]);
      if (a.ino !== b.ino || a.dev !== b.dev) problems.push({ path: `${BAG_DIR}/data/${rel}`, reason: `not the archive's file any more (replaced since bagging); ${stale}` });
    } catch (err) {
      problems.push({ path: `${BAG_DIR}/data/${rel}`, reason: `${reasonOf(err)}; ${stale}` });
    }
  }
  try {
    const tm = await readFile(join(bag, "tagmanifest-sha256.txt"), "utf8");
    for (const line of tm.split("\n")) {
      const m = /^([0-9a-fA-F]{64})[ \t]+(.+)$/.exec(line);
      if (!m) continue;
      const name = bagitDecodePath(m[2]!);
      const actual = await sha256File(join(bag, name)).catch(() => "(unreadable)");
      if (actual !== m[1]!.toLowerCase()) problems.push({ path: `${BAG_DIR}/${name}`, reason: "tag file does not match tagmanifest-sha256.txt" });
    }
  } catch (err) {
    problems.push({ path: `${BAG_DIR}/tagmanifest-sha256.txt`, reason: `cannot read: ${reasonOf(err)}` });
  }
  return problems;
}
