// Temp copies a killed run left behind (a SIGKILL runs no clean-up) are removed by the next run;
// a live process's files, and anything without an owner's pid in its name, stay.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { removeDeadProcessFiles } from "../src/fsutil.js";

describe("removeDeadProcessFiles", () => {
  it("removes only what processes that no longer exist left", () => {
    const dir = mkdtempSync(join(tmpdir(), "archive-dead-"));
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
    for (const name of [`job-${dead}-1.mov`, `member-${dead}-7.heic`, `job-${process.pid}-2.mov`, "member-1-3.jpg", "notes.txt"]) {
      writeFileSync(join(dir, name), "x");
    }
    expect(removeDeadProcessFiles(dir)).toBe(2);
    expect(readdirSync(dir).sort()).toEqual([`job-${process.pid}-2.mov`, "member-1-3.jpg", "notes.txt"].sort());
    expect(removeDeadProcessFiles(join(dir, "missing"))).toBe(0);
  });
});
