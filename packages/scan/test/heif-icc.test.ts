// items.icc for HEIF sources: the profile is in the primary image's `colr` property (or, in a grid
// from iOS before 15, in its tiles'), not in the Exif item the fast reader parses. Every real
// HEIC/HEIF is named as exiftool names its first ICC profile (`-ICC_Profile:ProfileDescription`).
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createExifTool } from "@archive/core";
import { execFileP, hasTool, realFixtures } from "../../../test/support.js";
import { readItem } from "../src/read.js";

const real = realFixtures();
const haveExiftool = await hasTool("exiftool", ["-ver"]);

async function heifFixtures(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(root, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    for (const f of await readdir(join(root, d.name))) if (/\.(heic|heif)$/i.test(f)) out.push(join(root, d.name, f));
  }
  return out.sort();
}

describe.skipIf(!real || !haveExiftool)("items.icc of HEIF sources", () => {
  const et = createExifTool();
  afterAll(() => et.end());

  it("names the primary image's profile as exiftool does, for every real HEIC/HEIF", async () => {
    const files = await heifFixtures(real!);
    const { stdout } = await execFileP("exiftool", ["-j", "-G1", "-ICC_Profile:ProfileDescription", ...files], { maxBuffer: 16 << 20 }).catch(
      (err: { stdout: string }) => ({ stdout: err.stdout }), // exit 1 for the empty file; the JSON is still there
    );
    const want = new Map((JSON.parse(stdout) as Record<string, string>[]).map((r) => [r.SourceFile!, r["ICC_Profile:ProfileDescription"] ?? null]));
    let named = 0;
    for (const f of files) {
      const rec = await readItem(f, f.slice(real!.length + 1), { ...(await stat(f)), dev: 0, ino: 0 }, et);
      // a file whose header is damaged is unreadable: whatever exiftool salvages, the scan names nothing
      const expected = rec.error && /truncated HEIF header|empty file/.test(rec.error) ? null : want.get(f) ?? null;
      expect(rec.icc, f).toBe(expected);
      if (rec.icc) named++;
    }
    // iPhone photos from iOS 11 to 18, grid and not: Display P3; a third-party one: DCI-P3 D65
    expect(named).toBeGreaterThanOrEqual(15);
  }, 60_000);
});
