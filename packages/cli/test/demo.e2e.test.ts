// npm run demo (scripts/demo.mjs) on the committed sample library, whose IMG_0999.HEIC is corrupt
// on purpose: the closing lines must say what happened (issue 14 #7, #10), and the exit code
// must mean what every command's does.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { repoRoot, tempDir } from "../../../test/support.js";

const execFileP = promisify(execFile);

async function demo(dest: string): Promise<{ code: number; out: string }> {
  const args = [join(repoRoot(), "scripts/demo.mjs")];
  const env = { ...process.env, NO_COLOR: "1", ARCHIVE_DEMO_DEST: dest };
  try {
    const r = await execFileP(process.execPath, args, { env, maxBuffer: 64 << 20 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, out: (e.stdout ?? "") + (e.stderr ?? "") };
  }
}

describe("npm run demo", () => {
  it("names the corrupt file, accepts it as a user would, verifies green, and says so; the re-run is green at once", async () => {
    const dest = join(await tempDir("archive-demo-"), "demo-archive");
    const first = await demo(dest);
    expect(first.code, first.out).toBe(0);
    // archive run alone is not ready while the corrupt file is unresolved
    expect(first.out).toMatch(/NOT ready for offsite backup: 1 unreadable or skipped source entry is unresolved/);
    expect(first.out).toContain(`$ archive verify -C ${dest} --accept-unreadable`);
    expect(first.out).toMatch(/unreadable, accepted as lost: IMG_0999\.HEIC: truncated HEIF/);
    expect(first.out).toMatch(/15 source items: 13 archived, 1 exact duplicates of archived items, 1 unreadable, 0 not converted yet/);
    expect(first.out).toMatch(/is verified: every item is archived or accepted\./);
    // QA wording: the unresolved file is not counted as passed; the accepted unreadable file is not new content
    expect(first.out).toMatch(/completeness\s+14\/14 passed, 1 unresolved/);
    expect(first.out).toMatch(/New content for the archive: 0 files/);
    expect(first.out).not.toMatch(/holds the JPEG\/MP4 copies/);

    const again = await demo(dest);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/All stages passed\. The archive in .* is ready for offsite backup\./);
    expect(again.out).not.toContain("--accept-unreadable\n");
  }, 300_000);
});
