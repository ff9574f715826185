// The hand-off step through the built CLI (issue 11): plan -> convert -> manifest -> copy ->
// verify --at (exit codes, named files, --json), list --json verifiedAt, protect, repair.
import { copyFile, cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasTool, realFixtures, runArchive, tempDir } from "../../../test/support.js";

const fixtures = realFixtures();
const tools = (await hasTool("rclone", ["version"])) && (await hasTool("par2", ["-V"])) && (await hasTool("exiftool", ["-ver"]));
const run = fixtures && tools ? describe : describe.skip;

let tmp = "";
let ws = "";

const LIBRARY = ["lychee/train.jpg", "osxphotos/IMG_2908.PNG", "metadata-extractor-images/Apple iPhone 4.jpg"];

async function outputs(): Promise<string[]> {
  const text = await readFile(join(ws, "manifest-sha256.txt"), "utf8");
  return text.trim().split("\n").map((l) => l.slice(66));
}

async function flipBit(path: string): Promise<void> {
  const buf = await readFile(path);
  buf[buf.length >> 1] = buf[buf.length >> 1]! ^ 0x01;
  await writeFile(path, buf);
}

run("hand-off through the CLI", () => {
  beforeAll(async () => {
    tmp = await tempDir("archive-handoff-cli-");
    const lib = join(tmp, "lib");
    await mkdir(lib);
    for (const f of LIBRARY) await copyFile(join(fixtures!, f), join(lib, f.split("/").pop()!));
    ws = join(tmp, "ws");
    for (const args of [["plan", lib, "-C", ws], ["convert", "-C", ws], ["manifest", "-C", ws]]) {
      const r = await runArchive([...args, "-q"]);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(0);
    }
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("verify --at: an exact copy exits 0; a damaged one exits 1 naming each file", async () => {
    const copy = join(tmp, "copy");
    await cp(ws, copy, { recursive: true });
    const ok = await runArchive(["verify", "--at", copy, "-C", ws]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/hand-off recorded/);
    const [a, b] = await outputs();
    await flipBit(join(copy, a!));
    await rm(join(copy, b!));
    await writeFile(join(copy, "converted", "stray.txt"), "x");
    const bad = await runArchive(["verify", "--at", copy, "-C", ws, "--json"]);
    expect(bad.code).toBe(1);
    const r = JSON.parse(bad.stdout);
    expect(r.damaged.map((d: { path: string }) => d.path)).toEqual([a]);
    expect(r.missing).toEqual([b]);
    expect(r.extra).toEqual(["converted/stray.txt"]);
    expect((await runArchive(["verify", "--at", join(tmp, "nowhere"), "-C", ws])).code).toBe(3);
  });

  it("verify --sample 50 twice: list --json shows every archived item freshly verified", async () => {
    const since = new Date().toISOString();
    for (let i = 0; i < 2; i++) expect((await runArchive(["verify", "--sample", "50", "-C", ws])).code).toBe(0);
    const list = await runArchive(["list", "--json", "-C", ws]);
    const entries = list.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(entries).toHaveLength(LIBRARY.length);
    for (const e of entries) {
      expect(e.status).toBe("archived");
      expect(e.verifiedAt >= since, `${e.output}: ${e.verifiedAt}`).toBe(true);
    }
  });

  it("protect, damage two files in place, repair restores them byte for byte, verify passes", async () => {
    expect((await runArchive(["protect", "--redundancy", "10%", "-C", ws])).code).toBe(0);
    const [a, , c] = await outputs();
    const before = [await readFile(join(ws, a!)), await readFile(join(ws, c!))];
    await flipBit(join(ws, a!));
    await flipBit(join(ws, c!));
    expect((await runArchive(["verify", "--sample", "100", "-C", ws])).code).toBe(1);
    const rep = await runArchive(["repair", "-C", ws, "--json"]);
    expect(rep.code, rep.stdout + rep.stderr).toBe(0);
    expect(JSON.parse(rep.stdout).repaired.sort()).toEqual([a, c].sort());
    expect((await readFile(join(ws, a!))).equals(before[0]!)).toBe(true);
    expect((await readFile(join(ws, c!))).equals(before[1]!)).toBe(true);
    const v = await runArchive(["verify", "-C", ws]);
    expect(v.code, v.stdout).toBe(0);
    expect(v.stdout).not.toMatch(/No PAR2 protection/);
  });

  it("archive report shows the proven copy, the re-reads and the PAR2 sets", async () => {
    const r = await runArchive(["report", "-C", ws, "-q"]);
    expect(r.code, r.stderr).toBe(0);
    const html = await readFile(join(ws, "report", "index.html"), "utf8");
    const section = html.slice(html.indexOf("<h2>Hand-off</h2>"), html.indexOf("<h2>Duplicates</h2>"));
    expect(section).toContain(join(tmp, "copy"));
    expect(section).toMatch(/3 files, [\d.]+ [kM]B \(sha256; manifest/);
    expect(section).toMatch(/0 never re-read/);
    expect(section).toMatch(/PAR2 protection: \d+ sets, 3 files/);
  });

  it("once the archive changes, the report says the proven copy is of an older archive", async () => {
    await copyFile(join(fixtures!, "lychee/classic-car.heic"), join(tmp, "lib", "classic-car.heic"));
    for (const args of [["plan", join(tmp, "lib"), "-C", ws], ["convert", "-C", ws], ["report", "-C", ws]]) {
      const r = await runArchive([...args, "-q"]);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(0);
    }
    const html = await readFile(join(ws, "report", "index.html"), "utf8");
    const section = html.slice(html.indexOf("<h2>Hand-off</h2>"), html.indexOf("<h2>Duplicates</h2>"));
    expect(section).toMatch(/the archive has changed since this proof/);
    expect(section).toContain(`archive verify --at ${join(tmp, "copy")}`);
  }, 300_000);
});
