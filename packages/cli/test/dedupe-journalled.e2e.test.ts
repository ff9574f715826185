// `archive dedupe --quarantine` must never move a file the job journal records as the archive's
// own (an output, a kept original, an organisation sidecar, an older output kept): the manifest
// lists it and verify checks it, so moving it turned a green archive red ("listed in the job
// journal but missing from the archive"). Found on an export whose favourites are byte-exact
// JPEG copies: their sidecars (NAME.jpg.xmp, "Rating 5") are byte-identical. What it may move is
// a copy no job wrote (an "extra" the manifest tells the user to move out), and --restore undoes
// that exactly.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { hasTool, realFixtures, runArchive, tempDir, treeChecksum } from "../../../test/support.js";

const fixtures = realFixtures();
const tools = fixtures ? await hasTool("exiftool", ["-ver"]) : false;

const PART = "iCloud Photos Part 1 of 1";
const PHOTOS = ["lychee/train.jpg", "metadata-extractor-images/Apple iPhone 4.jpg", "osxphotos/7B85B835-AB73-46B1-8840-6BA63FB2D9DD.jpeg"];
const HEADER = "imgName,fileChecksum,favorite,hidden,deleted,originalCreationDate,viewCount,importDate";
const name = (p: string) => p.slice(p.lastIndexOf("/") + 1);

interface ActionJson {
  action: { done: { path: string }[]; skipped: { path: string; reason: string }[]; failed: { path: string; reason: string }[] };
  archive: { groups: { keeper: { rel: string; archived: boolean }; duplicates: { rel: string; archived: boolean }[] }[] };
}

/** An export part whose three JPEGs (byte-exact copies in the archive) are all favourites: identical sidecars. */
async function favouritesExport(): Promise<string> {
  const src = await tempDir("dedupe-journal-src-");
  const dir = join(src, PART, "Photos");
  mkdirSync(dir, { recursive: true });
  for (const p of PHOTOS) copyFileSync(join(fixtures!, p), join(dir, name(p)));
  const row = (n: string, i: number) => `${n},C${i},yes,no,no,"Saturday June 4,2022 12:11 PM GMT",1,"Saturday June 4,2022 12:11 PM GMT"`;
  writeFileSync(join(dir, "Photo Details.csv"), [HEADER, ...PHOTOS.map((p, i) => row(name(p), i))].join("\n") + "\n");
  return src;
}

/** Every file's path, content hash and mtime (a folder's own mtime aside: a move touches it). */
function fileStates(root: string, rel = ""): string[] {
  return readdirSync(join(root, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) return fileStates(root, r);
    const p = join(root, r);
    return [`${r} ${createHash("sha256").update(readFileSync(p)).digest("hex")} ${statSync(p).mtimeMs}`];
  });
}

/** manifest, then verify --complete: both exit 0 and name no failure. */
async function green(ws: string): Promise<void> {
  const m = await runArchive(["manifest", "-C", ws]);
  expect(m.code, m.stdout + m.stderr).toBe(0);
  expect(m.stdout).not.toMatch(/missing|FAILED/);
  const v = await runArchive(["verify", "--complete", "-C", ws]);
  expect(v.code, v.stdout + v.stderr).toBe(0);
  expect(v.stdout).not.toMatch(/missing|FAILED/);
}

describe.skipIf(!tools)("archive dedupe --quarantine and the job journal (real JPEGs of an export)", () => {
  let ws = "";
  let conv = "";
  beforeAll(async () => {
    const src = await favouritesExport();
    ws = await tempDir("dedupe-journal-ws-");
    expect((await runArchive(["plan", src, "-C", ws])).code).toBe(0);
    const c = await runArchive(["convert", "-C", ws]);
    expect(c.code, c.stdout + c.stderr).toBe(0);
    conv = `converted/${PART}/Photos`;
    for (const p of PHOTOS) expect(statSync(join(ws, conv, `${name(p)}.xmp`)).isFile()).toBe(true);
    await green(ws);
  }, 120_000);

  it("leaves identical journalled sidecars in place (skipped, with the reason), and manifest and verify stay green", async () => {
    const before = treeChecksum(join(ws, "converted"));
    const q = await runArchive(["dedupe", "--quarantine", "--json", "-C", ws]);
    expect(q.code, q.stderr).toBe(0);
    const j = JSON.parse(q.stdout) as ActionJson;
    const group = j.archive.groups.find((g) => g.keeper.rel.endsWith(".xmp"))!;
    expect(group.duplicates).toHaveLength(2); // still reported: they are byte-identical
    expect(group.duplicates.every((d) => d.archived)).toBe(true);
    expect(j.action.done).toEqual([]);
    expect(j.action.failed).toEqual([]);
    expect(j.action.skipped.map((s) => s.path).sort()).toEqual(group.duplicates.map((d) => d.rel).sort());
    for (const s of j.action.skipped) expect(s.reason).toMatch(/job journal.*--link/);
    expect(treeChecksum(join(ws, "converted"))).toBe(before);
    await green(ws);
  }, 120_000);

  it("quarantines a copy no job wrote even under --keep-path, keeps the journalled output, and --restore undoes it exactly", async () => {
    // a user's copy of an archived photo under a folder they prefer (--keep-path used to make it the keeper)
    const out = `${conv}/train.jpg`;
    const mine = "converted/mine/train.jpg";
    mkdirSync(join(ws, "converted/mine"));
    copyFileSync(join(ws, out), join(ws, mine));
    const before = fileStates(join(ws, "converted"));
    const q = await runArchive(["dedupe", "--quarantine", "--keep-path", "converted/mine", "--json", "-C", ws]);
    expect(q.code, q.stderr).toBe(0);
    const j = JSON.parse(q.stdout) as ActionJson;
    const group = j.archive.groups.find((g) => g.keeper.rel === out || g.duplicates.some((d) => d.rel === out))!;
    expect(group.keeper).toMatchObject({ rel: out, archived: true });
    expect(group.duplicates).toEqual([expect.objectContaining({ rel: mine, archived: false })]);
    expect(j.action.done.map((d) => d.path)).toEqual([mine]);
    expect(statSync(join(ws, out)).isFile()).toBe(true);
    await green(ws); // the extra copy is out of the archive; every journalled file is in place

    const r = await runArchive(["dedupe", "--restore", "-C", ws]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(fileStates(join(ws, "converted"))).toEqual(before);
    expect(readFileSync(join(ws, mine)).equals(readFileSync(join(ws, out)))).toBe(true);
    rmSync(join(ws, "converted/mine"), { recursive: true }); // the user takes their copy out of the workspace
  }, 120_000);

  it("--link still saves the space of journalled duplicates: same paths, same bytes, one file; manifest and verify stay green", async () => {
    const l = await runArchive(["dedupe", "--link", "--json", "-C", ws]);
    expect(l.code, l.stderr).toBe(0);
    const inodes = new Set(PHOTOS.map((p) => statSync(join(ws, conv, `${name(p)}.xmp`)).ino));
    expect(inodes.size).toBe(1);
    await green(ws);
  }, 120_000);
});
