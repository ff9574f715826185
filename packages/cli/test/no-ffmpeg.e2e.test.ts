// Issue 14 #10: a fresh machine without ffmpeg. The system ffmpeg/ffprobe are hidden in a private
// mount namespace (bind-mounting /dev/null over them, as root), the way a newcomer's macOS or
// minimal Linux looks. On the main of 2026-12-01 the whole convert stage aborted at the first video.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, tempDir } from "../../../test/support.js";

const repo = repoRoot();
const bin = join(repo, "packages/cli/bin/archive.js");
const sample = join(repo, "sample/library");

function which(name: string): string | null {
  const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Can this process make a private mount namespace (root, util-linux unshare)? */
function canHide(): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync("unshare", ["-m", "true"]).status === 0;
}

const hideable = canHide() && which("ffmpeg") !== null && which("ffprobe") !== null;
if (!hideable) {
  const msg = "no-ffmpeg tests need root and `unshare -m` to hide the system ffmpeg";
  if (process.env.CI === "true") throw new Error(`${msg} (CI=true runs as root)`);
  console.warn(`${msg}: skipped`);
}

/** Run `archive ARGS` with the given binaries hidden (each replaced by /dev/null, not executable). */
function runHidden(hide: string[], args: string[], script = bin, env: Record<string, string> = {}): { code: number; out: string } {
  const mounts = hide.map((p) => `mount --bind /dev/null '${p}'`).join(" && ");
  const cmd = `${mounts} && exec '${process.execPath}' '${script}' "$@"`;
  const r = spawnSync("unshare", ["-m", "sh", "-c", cmd, "sh", ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", ...env },
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, out: `${r.stdout}\n${r.stderr}` };
}

describe.skipIf(!hideable)("without a system ffmpeg", () => {
  it("the registry ffmpeg/ffprobe convert the videos, with BT.709 colour tags", async () => {
    const ws = join(await tempDir("archive-noffmpeg-"), "ws");
    const r = runHidden([which("ffmpeg")!, which("ffprobe")!], ["run", sample, "-C", ws]);
    expect(r.out).not.toMatch(/ffmpeg was not found/);
    const converted = readdirSync(join(ws, "converted"));
    const videos = converted.filter((n) => n.endsWith(".mp4"));
    expect(videos.length).toBe(3);
    expect(converted.filter((n) => /\.jpe?g$/i.test(n)).length).toBe(9);
    for (const v of videos) {
      const probe = execFileSync(
        "ffprobe",
        ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name,pix_fmt,color_primaries,color_transfer", "-of", "json", join(ws, "converted", v)],
        { encoding: "utf8" },
      );
      const s = (JSON.parse(probe) as { streams: Record<string, string>[] }).streams[0]!;
      expect(s).toMatchObject({ codec_name: "h264", pix_fmt: "yuv420p", color_primaries: "bt709", color_transfer: "bt709" });
    }
    expect(existsSync(join(ws, "manifest-sha256.txt"))).toBe(true);
  });
});

/** The registry builds too: with these and the system binaries hidden, no ffmpeg is left at all. */
function npmBuilds(): string[] {
  const found: string[] = [];
  for (const [scope, name] of [["@ffmpeg-installer", "ffmpeg"], ["@ffprobe-installer", "ffprobe"]] as const) {
    const dir = join(repo, "node_modules", scope);
    if (!existsSync(dir)) continue;
    for (const platform of readdirSync(dir)) if (existsSync(join(dir, platform, name))) found.push(join(dir, platform, name));
  }
  return found;
}

describe.skipIf(!hideable)("verify with no ffmpeg anywhere (QA: it exited 3 'ffmpeg was not found')", () => {
  it("runs every other check, names each video as not checked, and exits 1", async () => {
    const ws = join(await tempDir("archive-noffmpeg-verify-"), "ws");
    // archived with ffmpeg present: a clean archive whose verify passes (exit 0) ...
    const made = spawnSync(process.execPath, [bin, "run", sample, "-C", ws, "--accept-unreadable"], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    expect(made.status, made.stdout + made.stderr).toBe(0);
    // ... then verified on a machine where neither the system nor the npm ffmpeg/ffprobe exist
    const r = runHidden([which("ffmpeg")!, which("ffprobe")!, ...npmBuilds()], ["verify", "-C", ws]);
    expect(r.out).not.toMatch(/was not found|ARCHIVE_FFMPEG/);
    expect(r.out).toMatch(/ok\s+fixity\s+\d+\/\d+ passed/);
    expect(r.out).toMatch(/SKIP decode\s+9\/9 passed, 3 not checked/);
    for (const v of ["IMG_0202.mp4", "IMG_0203.mp4", "IMG_0304.mp4"]) expect(r.out).toMatch(new RegExp(`${v}": video not checked: ffmpeg and ffprobe not found`));
    expect(r.out).toMatch(/3 videos could not be checked: ffmpeg and ffprobe not found: install ffmpeg or pass --ffmpeg\/--ffprobe/);
    expect(r.out).not.toMatch(/All checks passed/);
    expect(r.code).toBe(1);
  });

  it("verify --help documents --ffmpeg and --ffprobe, as convert does", () => {
    for (const cmd of ["verify", "convert"]) {
      const h = spawnSync(process.execPath, [bin, cmd, "--help"], { encoding: "utf8" }).stdout;
      expect(h).toMatch(/--ffmpeg PATH/);
      expect(h).toMatch(/--ffprobe PATH/);
    }
  });
});

describe.skipIf(!hideable)("the demo with no ffmpeg anywhere: its words say what happened (QA wording)", () => {
  it("names why each video waits, once; convert says what to do instead of 'Next: archive verify'", async () => {
    const dest = join(await tempDir("archive-noffmpeg-demo-"), "demo-archive");
    const r = runHidden([which("ffmpeg")!, which("ffprobe")!, ...npmBuilds()], [], join(repo, "scripts/demo.mjs"), { ARCHIVE_DEMO_DEST: dest });
    for (const v of ["IMG_0202.MOV", "IMG_0203.MOV", "IMG_0304.MOV"]) expect(r.out).toMatch(new RegExp(`not converted yet: ${v}: ffmpeg not found`));
    expect(r.out).not.toMatch(/not converted yet: not converted yet/);
    // accepted with verify --accept-unreadable, whatever the exit code (it said "NOT accepted")
    expect(r.out).toMatch(/unreadable, accepted as lost: IMG_0999\.HEIC: truncated HEIF/);
    expect(r.out).toMatch(/Next: 3 items wait \(reasons above\): fix that, run archive convert again, then archive verify/);
    expect(r.out).not.toMatch(/Next: archive verify\n/);
    // nothing was tried before this first convert
    expect(r.out).not.toMatch(/Still failing as before/);
    // verify passes items not converted yet (without --complete), but the demo does not call that ready
    expect(r.out).not.toMatch(/Live Photo pair .* incomplete/);
    expect(r.out).toMatch(/is NOT ready \(exit 1\): 3 items are not converted yet/);
    expect(r.code).toBe(1);
  });
});
