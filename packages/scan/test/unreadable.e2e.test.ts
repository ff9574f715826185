// Issue 14 #4: a folder that cannot be read is never dropped. Run as `nobody` (root reads
// everything): a chmod 000 folder in the library is listed by `plan` (text and JSON), stays in
// the catalog's unresolved list on every later scan, and leaves it only when accepted.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acceptUnresolved, countUnresolved, listUnresolved, openCatalog } from "@archive/core";
import { repoRoot, tempDir, treeChecksum } from "../../../test/support.js";

const bin = join(repoRoot(), "packages/cli/bin/archive.js");
const canDropPrivileges = process.getuid?.() === 0 && spawnSync("setpriv", ["--version"]).status === 0;

/** `archive ARGS` as nobody:nogroup with no supplementary groups. */
function asNobody(args: string[], home: string) {
  return spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, bin, ...args], {
    encoding: "utf8",
    env: { ...process.env, HOME: home, NO_COLOR: "1" },
    timeout: 120_000,
  });
}

function unresolved(ws: string): string[] {
  const cat = openCatalog(join(ws, ".archive/catalog.db"), { readonly: true });
  try {
    return [...listUnresolved(cat)].map((u) => `${u.kind}:${u.path}`);
  } finally {
    cat.close();
  }
}

describe.skipIf(!canDropPrivileges)("an unreadable folder, scanned as nobody", () => {
  let src: string;
  let ws: string;
  let before: string;
  beforeAll(async () => {
    src = await tempDir("archive-locked-src-");
    ws = await tempDir("archive-locked-ws-");
    writeFileSync(join(src, "notes.txt"), "readable\n");
    mkdirSync(join(src, "locked"));
    writeFileSync(join(src, "locked", "IMG_0001.JPG"), "a photo nobody can list");
    chmodSync(src, 0o755);
    chmodSync(join(src, "notes.txt"), 0o644);
    chmodSync(join(src, "locked"), 0o000);
    chmodSync(ws, 0o777);
    before = treeChecksum(src);
  });
  afterAll(() => chmodSync(join(src, "locked"), 0o755));

  it("plan names it in JSON and in text, and the catalog keeps it unresolved", () => {
    const r = asNobody(["plan", src, "-C", ws, "--json"], ws);
    expect(r.status, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { totals: { files: number }; unreadable: { path: string; reason: string }[]; unresolved: { unresolved: number } };
    expect(plan.totals.files).toBe(1);
    expect(plan.unreadable).toEqual([{ path: "locked", reason: expect.stringMatching(/EACCES|permission denied/i) }]);
    expect(plan.unresolved.unresolved).toBe(1);
    expect(unresolved(ws)).toEqual(["unreadable-folder:locked"]);

    const text = asNobody(["plan", src, "-C", ws], ws);
    expect(text.stdout).toMatch(/Unreadable: 1/);
    expect(text.stdout).toMatch(/locked: cannot read the folder: EACCES/);
    expect(unresolved(ws)).toEqual(["unreadable-folder:locked"]);
    expect(treeChecksum(src)).toBe(before);
  });

  it("stays unresolved until accepted; an accepted folder stays accepted while nothing changes", () => {
    const cat = openCatalog(join(ws, ".archive/catalog.db"));
    try {
      expect(acceptUnresolved(cat, ["locked"])).toBe(1);
      expect(countUnresolved(cat)).toMatchObject({ unresolved: 0, accepted: 1 });
    } finally {
      cat.close();
    }
    const r = asNobody(["plan", src, "-C", ws, "--json"], ws);
    expect(r.status, r.stderr).toBe(0);
    expect(unresolved(ws)).toEqual([]);
    // still listed by plan (accepted is not forgotten), just no longer unresolved
    expect(JSON.parse(r.stdout)).toMatchObject({ unreadable: [{ path: "locked" }], unresolved: { unresolved: 0, accepted: 1 } });
  });
});
