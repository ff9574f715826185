#!/usr/bin/env node
// The main job on the committed sample library: plan -> convert -> manifest -> verify, then dedupe.
// Output goes to ./demo-archive (git-ignored); run it again to see the incremental re-run.
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(repo, "packages/cli/bin/archive.js");
const library = join(repo, "sample/library");
const dest = join(repo, "demo-archive");

if (!existsSync(library)) {
  console.error(`demo: the sample library is missing at ${library}`);
  process.exit(2);
}
if (process.argv.includes("--fresh")) rmSync(dest, { recursive: true, force: true });

function archive(...args) {
  console.log(`\n$ archive ${args.join(" ")}`);
  try {
    execFileSync(process.execPath, [cli, ...args], { stdio: "inherit" });
    return 0;
  } catch (err) {
    return err.status ?? 1;
  }
}

// The sample holds a deliberately corrupt file: `run` lists it as unreadable (a recorded reason,
// not a failed stage) and still proves everything else.
const code = archive("run", library, "-C", dest);
archive("dedupe", "-C", dest);
console.log(`\nThe archive is in ${dest}: converted/ holds the JPEG/MP4 copies, manifest-sha256.txt the checksums.`);
console.log(`Try: (cd ${dest} && sha256sum -c --quiet manifest-sha256.txt && echo fixity OK)`);
process.exit(code);
