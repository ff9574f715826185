// Reliability and bad input (issue 6): Ctrl-C, a second process, a full or read-only
// destination, a corpus of hostile file names and broken files, no shell, no network.
// Every test checksums the source tree before and after: the library is never written.
import { spawn, spawnSync } from "node:child_process";
import { copyFile, mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  archiveJson,
  hasTool,
  journal,
  listFiles,
  realFixtures,
  repoRoot,
  runArchive,
  tempDir,
  tempFiles,
  treeChecksum,
} from "../../convert/test/helpers.js";

const real = realFixtures();
const haveFfmpeg = (await hasTool("ffmpeg", ["-version"])) && (await hasTool("ffprobe", ["-version"]));
const bin = join(repoRoot(), "packages/cli/bin/archive.js");

/** Copy fixtures (relative to the real set) into `dir`, flattening nothing. */
async function copyFixtures(dir: string, rels: string[]): Promise<void> {
  for (const rel of rels) {
    await mkdir(join(dir, rel, ".."), { recursive: true });
    await copyFile(join(real!, rel), join(dir, rel));
  }
}

/** Processes whose command line mentions `needle` (ours: exiftool, ffmpeg, node workers). */
function processesMentioning(needle: string): string[] {
  const ps = spawnSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  return ps.stdout
    .split("\n")
    .filter((l) => l.includes(needle) && !l.includes("ps -eo"))
    .map((l) => l.trim());
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = join(process.env.TMPDIR ?? "/tmp", `archive-mount-probe-${process.pid}`);
  spawnSync("mkdir", ["-p", probe]);
  const ok = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe]).status === 0;
  if (ok) spawnSync("umount", [probe]);
  return ok;
}

describe.skipIf(!real || !haveFfmpeg)("Ctrl-C and a second process", () => {
  let src: string;
  let ws: string;
  let before: string;
  beforeAll(async () => {
    src = await tempDir("archive-rel-src-");
    ws = await tempDir("archive-rel-ws-");
    await copyFixtures(src, ["osxphotos/IMG_4394.HEIC", "osxphotos/IMG_4394.mov", "lychee/classic-car.heic", "immich/IMG_2682.heic", "exifr/heic-iphone7.heic"]);
    before = treeChecksum(src);
    const plan = await runArchive(["plan", src, "-C", ws, "-q"]);
    expect(plan.code).toBe(0);
  }, 120_000);

  it("SIGINT stops cleanly: exit 130, a resume hint, no child process left, and the next run finishes", async () => {
    const child = spawn(process.execPath, [bin, "convert", "-C", ws], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
    // interrupt once work is under way (the first output folder exists)
    await waitFor(() => existsSync(join(ws, "converted")), 60_000);
    await new Promise((r) => setTimeout(r, 1500));
    child.kill("SIGINT");
    const code = await exited;
    expect(code).toBe(130);
    expect(stderr).toMatch(/run the same command again/);
    // exiftool/ffmpeg children end with the run (give the OS a moment to reap them)
    expect(await waitFor(() => processesMentioning(ws).length === 0, 5_000), processesMentioning(ws).join("\n")).toBe(true);
    expect(tempFiles(ws)).toEqual([]);
    const again = await archiveJson<{ failed: unknown[]; converted: number; alreadyDone: number }>(ws, ["convert"]);
    expect(again.code).toBe(0);
    expect(again.json.converted + again.json.alreadyDone).toBe(5);
    expect(treeChecksum(src)).toBe(before);
  }, 300_000);

  it("a second archive process on the same workspace is refused; a dead owner's lock is taken over", async () => {
    // a live process holds the lock (as a running archive would)
    const holder = spawn("sleep", ["60"], { stdio: "ignore" });
    try {
      await writeFile(join(ws, ".archive/lock"), `${holder.pid}\n`);
      const second = await runArchive(["verify", "-C", ws]);
      expect(second.code).toBe(3);
      expect(second.stderr).toContain(`another archive process (pid ${holder.pid})`);
    } finally {
      holder.kill("SIGKILL");
    }
    await new Promise((r) => holder.on("exit", r));
    // its owner is gone (a crash, kill -9): the next command takes the lock over and works
    const after = await runArchive(["plan", "-C", ws, "-q"]);
    expect(after.code, after.stderr).toBe(0);
    expect(existsSync(join(ws, ".archive/lock"))).toBe(false);
    expect(treeChecksum(src)).toBe(before);
  }, 120_000);
});

describe.skipIf(!real || !canMount())("a destination that fills up or turns read-only", () => {
  let src: string;
  let mnt: string;
  let before: string;
  beforeAll(async () => {
    src = await tempDir("archive-full-src-");
    mnt = await tempDir("archive-full-mnt-");
    await copyFixtures(src, ["lychee/train.jpg", "osxphotos/IMG_1853.HEIC", "osxphotos/7B85B835-AB73-46B1-8840-6BA63FB2D9DD.jpeg", "osxphotos/BB0F9F05-D186-4D43-9903-A4AD7A1BC8B0.jpeg", "exifr/heic-iphone7.heic"]);
    before = treeChecksum(src);
  });
  afterAll(() => {
    spawnSync("umount", [mnt]);
  });

  it("disk full: the run stops naming the destination, leaves no partial file, and resumes once there is room", async () => {
    // 6 MB: the catalog and about one photo fit, the rest does not
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", mnt]).status).toBe(0);
    const ws = join(mnt, "archive");
    expect((await runArchive(["plan", src, "-C", ws, "-q"])).code).toBe(0);
    const full = await runArchive(["convert", "-C", ws]);
    expect(full.code).toBe(3);
    expect(full.stderr).toMatch(/destination is full/);
    expect(full.stderr).toContain(mnt);
    expect(tempFiles(ws)).toEqual([]);
    // whatever was journalled as done is whole
    for (const j of journal(ws).values()) if (j.status === "done" && j.output_rel) expect(statSync(join(ws, j.output_rel)).size).toBe(j.output_size);
    expect(treeChecksum(src)).toBe(before);
    // more room: the same command finishes the job
    expect(spawnSync("mount", ["-o", "remount,size=64m", mnt]).status).toBe(0);
    const resumed = await archiveJson<{ failed: unknown[]; converted: number; copied: number; alreadyDone: number }>(ws, ["convert"]);
    expect(resumed.code).toBe(0);
    expect(resumed.json.converted + resumed.json.copied + resumed.json.alreadyDone).toBe(5);
    expect((await runArchive(["manifest", "-C", ws, "-q"])).code).toBe(0);
    const verify = await runArchive(["verify", "-C", ws, "-q"]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  }, 300_000);

  it("read-only destination: a clear error naming it, exit 3, nothing half-written", async () => {
    spawnSync("umount", [mnt]);
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", "size=64m", "tmpfs", mnt]).status).toBe(0);
    const ws = join(mnt, "archive");
    expect((await runArchive(["plan", src, "-C", ws, "-q"])).code).toBe(0);
    await mkdir(join(ws, "converted"), { recursive: true });
    expect(spawnSync("mount", ["-o", "remount,ro", mnt]).status).toBe(0);
    const r = await runArchive(["convert", "-C", ws]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/not writable|read-only|EROFS/i);
    expect(r.stderr).toContain(mnt);
    expect(spawnSync("mount", ["-o", "remount,rw", mnt]).status).toBe(0);
    expect(tempFiles(ws)).toEqual([]);
    expect(treeChecksum(src)).toBe(before);
  }, 300_000);
});

/** Names a real export can hold, and some it should not but might. */
const ODD_NAMES = [
  "with space.jpg",
  "quote's \"double\".jpg",
  "$(touch pwned).jpg",
  "`backtick`.jpg",
  "-leading-dash.jpg",
  "new\nline.jpg",
  "emoji 😀📷.jpg",
  "cafe\u0301 NFD.jpg",
  "percent %41 %.jpg",
  `${"long".repeat(60)}.jpg`,
];

describe.skipIf(!real || !haveFfmpeg)("a corpus of bad input never crashes a run and every problem has a reason", () => {
  let src: string;
  let ws: string;
  let before: string;
  let plan: { code: number; json: { unreadable: { path: string; reason: string }[]; totals: { files: number } }; stderr: string };
  let convert: { code: number; json: { failed: { path: string; reason: string }[]; skipped: { path: string }[]; converted: number; copied: number }; stderr: string };

  beforeAll(async () => {
    src = await tempDir("archive-bad-src-");
    ws = await tempDir("archive-bad-ws-");
    const jpeg = join(real!, "lychee/train.jpg");
    // distinct bytes after the JPEG's end marker, so no two are duplicates of each other
    for (const name of ODD_NAMES) await writeFile(join(src, name), Buffer.concat([readFileSync(jpeg), Buffer.from(name)]));
    await copyFile(join(real!, "osxphotos/IMG_0102.HEIC"), join(src, "real photo.HEIC"));
    await writeFile(join(src, "empty.heic"), "");
    await writeFile(join(src, "random.heic"), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
    await copyFile(jpeg, join(src, "really-a-jpeg.HEIC"));
    const heic = readFileSync(join(real!, "osxphotos/IMG_1853.HEIC"));
    await writeFile(join(src, "truncated.HEIC"), heic.subarray(0, Math.floor(heic.length / 2)));
    const jpg = readFileSync(jpeg);
    await writeFile(join(src, "truncated.jpg"), jpg.subarray(0, Math.floor(jpg.length / 3)));
    const mov = readFileSync(join(real!, "osxphotos/IMG_4394.mov"));
    await writeFile(join(src, "truncated.mov"), mov.subarray(0, Math.floor(mov.length * 0.6)));
    await mkdir(join(src, "folder.heic"));
    await symlink("nowhere.jpg", join(src, "dangling.jpg"));
    await mkdir(join(src, "loop"));
    await symlink("..", join(src, "loop", "up"));
    await symlink("self-a", join(src, "self-b"));
    await symlink("self-b", join(src, "self-a"));
    // an Apple privacy-export CSV with malformed rows, Latin-1 bytes and path tricks in names
    await writeFile(
      join(src, "Photo Details.csv"),
      Buffer.concat([
        Buffer.from('imgName,fileChecksum,favorite,hidden,deleted,originalCreationDate,viewCount,importDate\n'),
        Buffer.from('../../etc/passwd,x,no,no,no,"Monday June 5,2023 7:33 PM GMT",1,\n'),
        Buffer.from('with space.jpg,"unterminated,no\n'),
        Buffer.from("caf\xe9.jpg,x,no,no,no,not a date,1,\n", "latin1"),
        Buffer.from(",,,\n"),
      ]),
    );
    before = treeChecksum(src);
    plan = await archiveJson(ws, ["plan", src]);
    convert = await archiveJson(ws, ["convert"]);
  }, 600_000);

  it("plan finishes and lists every broken file with a reason", () => {
    expect(plan.code).toBe(0);
    const bad = new Map(plan.json.unreadable.map((u) => [u.path, u.reason]));
    for (const name of ["empty.heic", "random.heic", "truncated.HEIC", "truncated.mov", "dangling.jpg", "self-a", "self-b"]) {
      expect(bad.get(name), `${name} should be unreadable`).toMatch(/\w/);
    }
  });

  it("every odd name is catalogued (none lost) and converted or copied to a path inside the workspace", () => {
    const jobs = journal(ws);
    for (const name of ODD_NAMES) {
      const j = jobs.get(name);
      expect(j?.status, JSON.stringify(name)).toBe("done");
      expect(existsSync(join(ws, j!.output_rel!))).toBe(true);
      expect(j!.output_rel!.startsWith("converted/")).toBe(true);
    }
    expect(jobs.get("real photo.HEIC")?.status).toBe("done");
    expect(jobs.get("really-a-jpeg.HEIC")?.action).toBe("copy"); // a JPEG is kept as the JPEG it is
    expect(existsSync(join(src, "pwned")) || existsSync(join(ws, "pwned")) || existsSync(join(repoRoot(), "pwned"))).toBe(false);
  });

  it("convert reports the broken files as failed with reasons, exits 1, and leaves nothing half-written", () => {
    expect(convert.code).toBe(1);
    const failed = new Map(convert.json.failed.map((f) => [f.path, f.reason]));
    for (const name of ["empty.heic", "random.heic", "truncated.HEIC", "truncated.mov"]) expect(failed.get(name), name).toMatch(/\w/);
    expect(tempFiles(ws)).toEqual([]);
  });

  it("outputs never escape the workspace and the source is untouched", async () => {
    for (const j of journal(ws).values()) if (j.output_rel) expect(j.output_rel).not.toMatch(/(^|\/)\.\.(\/|$)/);
    expect(listFiles(join(ws, "converted")).every((p) => !p.includes(".."))).toBe(true);
    expect(treeChecksum(src)).toBe(before);
    expect(await readdir(join(src, "loop"))).toEqual(["up"]);
  });
});

describe.skipIf(!real || process.getuid?.() !== 0 || spawnSync("setpriv", ["--version"]).status !== 0)("permission denied", () => {
  it("a file its user cannot read is listed as unreadable with the reason; the rest is planned", async () => {
    // root reads everything, so run archive as `nobody` against a file only root may read
    const src = await tempDir("archive-perm-src-");
    const ws = await tempDir("archive-perm-ws-");
    await copyFile(join(real!, "lychee/train.jpg"), join(src, "readable.jpg"));
    await copyFile(join(real!, "lychee/mongolia"), join(src, "secret.jpg"));
    spawnSync("chmod", ["755", src]);
    spawnSync("chmod", ["644", join(src, "readable.jpg")]);
    spawnSync("chmod", ["000", join(src, "secret.jpg")]);
    spawnSync("chmod", ["777", ws]);
    const r = spawnSync(
      "setpriv",
      ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, bin, "plan", src, "-C", ws, "--json"],
      { encoding: "utf8", env: { ...process.env, HOME: ws }, timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { totals: { files: number }; unreadable: { path: string; reason: string }[] };
    expect(plan.totals.files).toBe(2);
    expect(plan.unreadable).toEqual([{ path: "secret.jpg", reason: expect.stringMatching(/EACCES|permission denied/i) }]);
  }, 180_000);
});

describe("security: external tools only ever get argument arrays", () => {
  it("no library source spawns through a shell or builds a command string", () => {
    const root = join(repoRoot(), "packages");
    const offenders: string[] = [];
    for (const pkg of readdirSync(root)) {
      const dir = join(root, pkg, "src");
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir, { recursive: true }) as string[]) {
        if (!/\.ts$/.test(f) || /\.test\.ts$/.test(f)) continue;
        const text = readFileSync(join(dir, f), "utf8");
        // (SQLite's db.exec(...) is not a process: only a bare exec/execSync call counts)
        if (/shell:\s*true|(?<![.\w])execSync\(|(?<![.\w])exec\(/.test(text)) offenders.push(`${pkg}/src/${f}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe.skipIf(!real || !haveFfmpeg || spawnSync("unshare", ["-n", "true"]).status !== 0)("no network", () => {
  it("plan, convert, manifest and verify run in a network namespace with no interfaces", async () => {
    const src = await tempDir("archive-net-src-");
    const ws = await tempDir("archive-net-ws-");
    await copyFixtures(src, ["lychee/train.jpg", "lychee/train.mov", "osxphotos/IMG_0102.HEIC"]);
    const r = spawnSync("unshare", ["-n", process.execPath, bin, "run", src, "-C", ws], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 240_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/All stages passed/);
  }, 300_000);
});
