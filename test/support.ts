import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, lstatSync, readFileSync, readlinkSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const execFileP = promisify(execFile);

/** The repository root: the nearest folder above this file whose package.json declares workspaces. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, "utf8")).workspaces) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("repository root not found");
    dir = up;
  }
}

/**
 * The real test media at ../shared/fixtures/real beside the repository. Absent: tests skip with a
 * message, except in CI (CI=true), where a missing fixture set is a failure.
 */
export function realFixtures(): string | null {
  const dir = resolve(repoRoot(), "../shared/fixtures/real");
  if (existsSync(dir)) return dir;
  const msg = `real fixtures not found at ${dir}: tests that need them are skipped`;
  if (process.env.CI === "true") throw new Error(msg.replace("are skipped", "cannot run (CI=true)"));
  console.warn(msg);
  return null;
}

/**
 * True when `cmd args` runs (e.g. `exiftool -ver`, `ffmpeg -version`). A missing tool skips the
 * tests that need it with a message; under CI=true it fails, because .ci/run installs every tool.
 */
export async function hasTool(cmd: string, args: string[]): Promise<boolean> {
  try {
    await execFileP(cmd, args);
    return true;
  } catch {
    const msg = `${cmd} not found: tests that need it are skipped`;
    if (process.env.CI === "true") throw new Error(msg.replace("are skipped", "cannot run (CI=true; .ci/run should install it)"));
    console.warn(msg);
    return false;
  }
}

export async function tempDir(prefix = "archive-test-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Run the built CLI; resolves with exit code, stdout and stderr (never rejects on exit != 0). */
export async function runArchive(args: string[], cwd = repoRoot()): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = join(repoRoot(), "packages/cli/bin/archive.js");
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [bin, ...args], { cwd, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: "1" } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/**
 * A checksum of a whole tree: every entry's relative path, type, mode, size, mtime, and the
 * content of files (or the target of links). Any write to the tree changes it.
 */
export function treeChecksum(root: string): string {
  const h = createHash("sha256");
  const walk = (rel: string) => {
    const abs = join(root, rel);
    const names = readdirSync(abs).sort();
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, r), { bigint: true });
      h.update(`${r}\0${st.mode}\0${st.size}\0${st.mtimeNs}\0`);
      if (st.isSymbolicLink()) h.update(readlinkSync(join(root, r)));
      else if (st.isDirectory()) walk(r);
      else if (st.isFile()) h.update(readFileSync(join(root, r)));
    }
  };
  walk("");
  return h.digest("hex");
}
