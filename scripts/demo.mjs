#!/usr/bin/env node
// The main job on the committed sample library: plan -> convert -> manifest -> verify, then dedupe.
// Output goes to ./demo-archive (git-ignored); run it again to see the incremental re-run.
// The closing lines are built from what the archive holds afterwards (archive list --json), never
// assumed: a stage that could not proceed, a video left pending or an unreadable file is named.
// Exit code: the same meaning as every archive command (0 ready, 1 something to look at,
// 2 usage, 3 could not proceed, 130 interrupted).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(repo, "packages/cli/bin/archive.js");
const library = join(repo, "sample/library");
// ARCHIVE_DEMO_DEST: elsewhere (the end-to-end test of the demo uses a temporary folder)
const dest = process.env.ARCHIVE_DEMO_DEST || join(repo, "demo-archive");

if (!existsSync(library)) {
  console.error(`demo: the sample library is missing at ${library}`);
  process.exit(3);
}
if (process.argv.includes("--fresh")) rmSync(dest, { recursive: true, force: true });

/** Run `archive ARGS` in front of the user; its exit code. */
function archive(...args) {
  console.log(`\n$ archive ${args.join(" ")}`);
  try {
    execFileSync(process.execPath, [cli, ...args], { stdio: "inherit" });
    return 0;
  } catch (err) {
    return err.status ?? 3;
  }
}

/** Every source item with its status, from `archive list --json` (one JSON object per line). */
function items() {
  try {
    const out = execFileSync(process.execPath, [cli, "list", "-C", dest, "--json"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 64 << 20 });
    return out.split("\n").filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

/**
 * Why each item not converted yet waits, by source path, from `archive convert --dry-run --json`
 * (it looks for ffmpeg too): "ffmpeg not found ...", where `archive list` only knows "not converted yet".
 */
function pendingReasons() {
  try {
    const out = execFileSync(process.execPath, [cli, "convert", "-C", dest, "--dry-run", "--json"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 64 << 20 });
    return new Map(JSON.parse(out).planned.filter((p) => p.action === "pending" && p.reason).map((p) => [p.path, p.reason]));
  } catch (err) {
    // exit 1 (items pending) still prints the JSON
    try {
      return new Map(JSON.parse(err.stdout).planned.filter((p) => p.action === "pending" && p.reason).map((p) => [p.path, p.reason]));
    } catch {
      return new Map();
    }
  }
}

/** Files under a folder, recursively (0 when it does not exist). */
function countFiles(dir) {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).length;
}

const name = (e) => e.source.slice(library.length + 1) || e.source;

let code = archive("run", library, "-C", dest);
const unreadable = items().filter((e) => e.status === "unreadable");
if (code === 1 && unreadable.length) {
  // what a person does next: look at the named file, and (a better copy being nowhere) accept it as lost
  console.log(`\nThe sample holds ${unreadable.length === 1 ? "a deliberately corrupt file" : "deliberately corrupt files"}: ${unreadable.map(name).join(", ")}.`);
  console.log("No better copy exists, so accept it as not archived (recorded, and shown in the report):");
  code = archive("verify", "-C", dest, "--accept-unreadable");
}
if (code <= 1) {
  const dedupe = archive("dedupe", "-C", dest);
  if (dedupe !== 0 && code === 0) code = dedupe;
}

const all = items();
const by = (s) => all.filter((e) => e.status === s);
console.log("\nWhat happened:");
if (!all.length) console.log(`  nothing was catalogued in ${dest} (see the messages above).`);
else {
  console.log(`  ${all.length} source items: ${by("archived").length} archived, ${by("duplicate").length} exact duplicates of archived items, ${by("unreadable").length} unreadable, ${by("pending").length} not converted yet.`);
  console.log(`  ${dest}/converted/ holds ${countFiles(join(dest, "converted"))} files; manifest-sha256.txt ${existsSync(join(dest, "manifest-sha256.txt")) ? "their checksums" : "does not exist yet"}.`);
  // archive list says whether each one was accepted (now or in an earlier run), whatever the exit code
  for (const e of by("unreadable")) {
    const reason = (e.reason ?? "no reason recorded").replace(/ \(accepted as not archived [^)]*\)$/, "");
    console.log(`  unreadable, ${reason === e.reason ? "NOT accepted" : "accepted as lost"}: ${name(e)}: ${reason}`);
  }
  const waits = by("pending").length ? pendingReasons() : new Map();
  for (const e of by("pending").slice(0, 10)) {
    // the reason once, and the real one when convert knows it (list says only "not converted yet")
    const why = waits.get(name(e)) ?? (e.reason && e.reason !== "not converted yet" ? e.reason : null);
    console.log(`  not converted yet: ${name(e)}${why ? `: ${why}` : ""}`);
  }
}
// verify passes items not converted yet (they are listed, not failures, without --complete): not ready, though
if (code === 0 && by("pending").length) code = 1;
if (code === 0) {
  console.log(`\nThe archive in ${dest} is verified: every item is archived or accepted.`);
  console.log(`Try: (cd ${dest} && sha256sum -c --quiet manifest-sha256.txt && echo fixity OK)`);
} else {
  const waiting = by("pending").length;
  console.log(`\nThe archive in ${dest} is NOT ready (exit ${code}): ${waiting ? `${waiting} ${waiting === 1 ? "item is" : "items are"} not converted yet (above); ` : ""}see the messages above.`);
}
process.exit(code);
