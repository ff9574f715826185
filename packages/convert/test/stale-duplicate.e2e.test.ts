// End-to-end (issue 12, item 1): a former duplicate that is edited afterwards is new content and
// must be archived. Before the fix, convert trusted dedupe's recorded group (which nobody cleared
// when the file changed) and recorded the edited file as a "duplicate": its new bytes were never
// archived. The second case edits the copy that was archived instead: the other file's bytes,
// until then "a duplicate", must get an output of their own.
import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ConvertResult } from "@archive/convert";
import { archiveJson, execFileP, hasTool, journal, realFixtures, runArchive, sha256File, tempDir, treeChecksum } from "./helpers.js";

const real = realFixtures();
const haveExiftool = await hasTool("exiftool", ["-ver"]);

/** a.jpg and b.jpg byte-identical; plan, convert, dedupe. Which one was archived and which is the duplicate. */
async function archivedPair(): Promise<{ lib: string; ws: string; kept: string; dup: string }> {
  const lib = join(await tempDir("archive-stale-lib-"), "lib");
  const ws = join(await tempDir("archive-stale-ws-"), "ws");
  await mkdir(lib);
  await copyFile(join(real!, "lychee/train.jpg"), join(lib, "a.jpg"));
  await copyFile(join(real!, "lychee/train.jpg"), join(lib, "b.jpg"));
  expect((await runArchive(["plan", lib, "-C", ws, "-q"])).code).toBe(0);
  const first = await archiveJson<ConvertResult>(ws, ["convert"]);
  expect(first.code, first.stderr).toBe(0);
  expect(first.json).toMatchObject({ copied: 1, duplicates: 1 });
  const dedupe = await runArchive(["dedupe", "-C", ws, "-q"]);
  expect(dedupe.code, dedupe.stderr).toBe(0);
  const jobs = journal(ws);
  const dup = [...jobs.values()].find((j) => j.action === "duplicate")!.rel_path;
  const kept = dup === "a.jpg" ? "b.jpg" : "a.jpg";
  expect(jobs.get(kept)).toMatchObject({ action: "copy", status: "done" });
  return { lib, ws, kept, dup };
}

async function edit(file: string, artist: string): Promise<void> {
  await execFileP("exiftool", ["-q", "-overwrite_original", `-Artist=${artist}`, file]);
}

describe.skipIf(!real || !haveExiftool)("an edited former duplicate", () => {
  it("is archived with its new content after plan + convert", async () => {
    const { lib, ws, kept, dup } = await archivedPair();
    // the user edits the copy that was not archived (a tag changed): it is different content now
    await edit(join(lib, dup), "Edited after dedupe");
    const edited = await sha256File(join(lib, dup));
    expect(edited).not.toBe(await sha256File(join(lib, kept)));
    const libBefore = treeChecksum(lib);

    expect((await runArchive(["plan", lib, "-C", ws, "-q"])).code).toBe(0);
    const second = await archiveJson<ConvertResult>(ws, ["convert"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.json).toMatchObject({ copied: 1, duplicates: 0, alreadyDone: 1 });

    const jobs = journal(ws);
    const d = jobs.get(dup)!;
    expect(d).toMatchObject({ action: "copy", status: "done", duplicate_of: null });
    expect(d.output_sha256).toBe(edited);
    expect(await sha256File(join(ws, d.output_rel!))).toBe(edited);
    // the other file's archived copy is untouched and distinct
    const k = jobs.get(kept)!;
    expect(k.output_rel).not.toBe(d.output_rel);
    expect(await sha256File(join(ws, k.output_rel!))).toBe(await sha256File(join(lib, kept)));

    const verify = await runArchive(["verify", "-C", ws, "--complete"]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(treeChecksum(lib)).toBe(libBefore);
  }, 180_000);

  it("keeps a duplicate's bytes archived when the copy it pointed to is edited", async () => {
    const { lib, ws, kept, dup } = await archivedPair();
    const original = await sha256File(join(lib, dup));
    // the archived copy is edited: its output will hold the new bytes, so the duplicate needs its own
    await edit(join(lib, kept), "Edited keeper");
    expect((await runArchive(["plan", lib, "-C", ws, "-q"])).code).toBe(0);
    const again = await archiveJson<ConvertResult>(ws, ["convert"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json).toMatchObject({ copied: 2, duplicates: 0, alreadyDone: 0 });
    const jobs = journal(ws);
    expect(await sha256File(join(ws, jobs.get(kept)!.output_rel!))).toBe(await sha256File(join(lib, kept)));
    expect(await sha256File(join(ws, jobs.get(dup)!.output_rel!))).toBe(original);
    const verify = await runArchive(["verify", "-C", ws, "--complete"]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  }, 180_000);
});
