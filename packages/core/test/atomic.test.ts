// A process killed while it writes an output must leave no file under the final name:
// writeAtomically writes beside it under a temporary name and renames only a finished file.
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isTempName } from "@archive/core";
import { tempDir } from "../../../test/support.js";

/** Start a child that writes half of `final` through writeAtomically, then waits to be killed. */
function writeHalfThenHang(final: string): Promise<{ kill: () => Promise<void> }> {
  const script = `
    import { writeAtomically } from "@archive/core";
    import { writeFile } from "node:fs/promises";
    await writeAtomically(process.argv[1], async (tmp) => {
      await writeFile(tmp, Buffer.alloc(1 << 20, 1)); // the first half of the file
      process.stdout.write("half\\n");
      await new Promise(() => {}); // the second half never comes: killed here
    });
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script, final], { stdio: ["ignore", "pipe", "inherit"], cwd: process.cwd() });
  return new Promise((resolve, reject) => {
    child.stdout.on("data", () =>
      resolve({
        kill: () =>
          new Promise<void>((done) => {
            child.on("exit", () => done());
            child.kill("SIGKILL");
          }),
      }),
    );
    child.on("exit", (code) => reject(new Error(`child exited ${code} before writing`)));
  });
}

describe("writeAtomically under SIGKILL", () => {
  it("leaves no file under the final name, only a temporary one the next run removes", async () => {
    const dir = await tempDir("archive-atomic-");
    const final = join(dir, "IMG_0001.jpg");
    const child = await writeHalfThenHang(final);
    await child.kill();
    expect(existsSync(final)).toBe(false);
    expect(readdirSync(dir).every(isTempName)).toBe(true);
  });
});
