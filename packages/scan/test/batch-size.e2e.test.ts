// Issue 14 #8: `plan --batch-size 1KB` honours the limit or says why not, with real dates.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, runArchive, tempDir } from "../../../test/support.js";

const sample = join(repoRoot(), "sample/library");

/** A real calendar date? (2018-02-31 is not) */
const realDate = (s: string) => {
  const [y, m, d] = s.split("-").map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
};

describe.skipIf(!existsSync(sample))("plan --batch-size", () => {
  it("1KB: every batch fits or says why it cannot; every suggested date is real", async () => {
    const ws = await tempDir();
    const json = await runArchive(["plan", sample, "-C", ws, "--batch-size", "1KB", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const plan = JSON.parse(json.stdout) as { batchSize: number; totals: { files: number }; batches: { name: string; files: number; outputBytes: number; note?: string; convertArgs: string[] }[] };
    expect(plan.batchSize).toBe(1000);
    expect(plan.batches.reduce((n, b) => n + b.files, 0)).toBe(plan.totals.files);
    expect(plan.batches.length).toBeGreaterThan(4); // years split down to days
    for (const b of plan.batches) {
      if (b.outputBytes > plan.batchSize) expect(b.note, b.name).toMatch(/one file larger than the batch size|cannot be smaller|cannot be split/);
    }
    const text = await runArchive(["plan", sample, "-C", ws, "--batch-size", "1KB"]);
    expect(text.code).toBe(0);
    const dates = [...text.stdout.matchAll(/--(?:from|to) (\d{4}-\d{2}-\d{2})/g)].map((m) => m[1]!);
    expect(dates.length).toBeGreaterThan(0);
    for (const d of dates) expect(realDate(d), d).toBe(true);
    expect(text.stdout).toMatch(/one file larger than the batch size/);
  });
});
