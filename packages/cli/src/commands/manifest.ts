import { startRun, finishRun } from "@archive/core";
import kleur from "kleur";
import { buildManifest, manifestSummary, type ManifestResult } from "@archive/verify";
import { defineCommand, type Options } from "../command.js";
import { workspaceFor, type Context } from "../context.js";
import { formatBytes, formatDuration } from "../render.js";
import { ALSO_OPTIONS, manifestAlso, printAlso } from "./manifest-also.js";

/** Manifest's own options; `archive run` takes them too. */
export const MANIFEST_OPTIONS = {
  bagit: { kind: "boolean", help: "also write a BagIt 1.0 bag at DEST/bag/ (payload hard-linked)" },
} as const satisfies Options;

const command = defineCommand({
  name: "manifest",
  summary: "SHA-256 of every archived file: manifest-sha256.txt (sha256sum -c), optional BagIt bag",
  description: `
Writes manifest-sha256.txt at the workspace root: the SHA-256 of every file the archive wrote
(each output and kept original in the job journal, with the hash convert recorded when it wrote
it). Check it anywhere with:

  cd DEST && sha256sum -c manifest-sha256.txt

The manifest is evidence, not a cache: a file already in it whose bytes changed is a fixity
failure (exit 1, the file named, its line kept), never a new hash. Files in the workspace that no
job wrote are never added: they are listed as extra. Unchanged files (same size, mtime and inode
in the hash cache) are not re-read.
Names with a backslash, newline or carriage return use GNU sha256sum's escaped form (the line
starts with "\\").

With --bagit, also a BagIt 1.0 bag at DEST/bag/: bagit.txt, bag-info.txt (Payload-Oxum,
Bagging-Date), manifest-sha256.txt, tagmanifest-sha256.txt, and the payload under bag/data/ as
hard links to the archive's files (no second copy of the bytes). Validate with:
bagit.py --validate DEST/bag`,
  options: { ...MANIFEST_OPTIONS, ...ALSO_OPTIONS },
  async run(ctx, values) {
    const ws = workspaceFor(ctx);
    try {
      const run = startRun(ws.catalog, "manifest");
      const result = await buildManifest({
        workspace: ws.root,
        catalog: ws.catalog,
        bagit: values.bagit === true,
        onEvent: ctx.onEvent,
        signal: ctx.signal,
      });
      const bad = result.failures.length > 0 || result.skipped.some((s) => !s.reason.startsWith("symbolic link"));
      finishRun(ws.catalog, run, "manifest", result.failures.length ? "failed" : result.skipped.length ? "partial" : "ok", manifestSummary(result));
      ctx.progress.clear();
      const also = await manifestAlso(ctx, ws.root, values.also, bad);
      if (ctx.opts.json) ctx.out(JSON.stringify(also ? { ...result, also } : result, null, 2));
      else printManifest(ctx, result);
      if (also && !ctx.opts.json) printAlso(ctx, also);
      return bad || also?.failures.length ? 1 : 0;
    } finally {
      ws.close();
    }
  },
});

export default command;

function printManifest(ctx: Context, r: ManifestResult): void {
  const secs = r.durationMs / 1000;
  const lines = [
    kleur.bold(`Manifest: ${r.manifest}`),
    `${r.files} files, ${formatBytes(r.bytes)}: ${r.added} new from the job journal; ${r.hashed} re-read (${formatBytes(r.hashedBytes)}${secs > 0 && r.hashedBytes ? `, ${formatBytes(r.hashedBytes / secs)}/s` : ""}), ${r.cached} unchanged (from the cache), in ${formatDuration(secs)}`,
  ];
  const list = (title: string, items: { path: string; reason: string }[]) => {
    if (!items.length) return;
    lines.push(title);
    for (const s of items.slice(0, 50)) lines.push(`  ${JSON.stringify(s.path)}: ${s.reason}`);
    if (items.length > 50) lines.push(`  ... and ${items.length - 50} more (--json lists all)`);
  };
  list(kleur.red(kleur.bold(`Fixity FAILED (the manifest keeps the recorded hash): ${r.failures.length}`)), r.failures);
  list(kleur.yellow(`Extra: ${r.extra.length} files in the workspace that are not part of the archive (left out)`), r.extra);
  if (r.bag) lines.push(`BagIt bag: ${r.bag.dir} (Payload-Oxum ${r.bag.payloadOxum})`);
  if (r.skipped.length) {
    lines.push(kleur.yellow(`Not in the manifest: ${r.skipped.length}`));
    for (const s of r.skipped.slice(0, 50)) lines.push(`  ${JSON.stringify(s.path)}: ${s.reason}`);
    if (r.skipped.length > 50) lines.push(`  ... and ${r.skipped.length - 50} more (--json lists all)`);
  }
  lines.push(`Check it: cd ${JSON.stringify(ctx.opts.dir ?? ".")} && sha256sum -c manifest-sha256.txt  (or: archive verify)`);
  ctx.out(lines.join("\n"));
}
