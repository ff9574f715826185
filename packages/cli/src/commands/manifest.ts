import { startRun, finishRun } from "@archive/core";
import kleur from "kleur";
import { buildManifest, type ManifestResult } from "@archive/verify";
import type { Command } from "../index.js";
import { workspaceFor, type Context } from "../context.js";
import { formatBytes, formatDuration } from "../render.js";

const command: Command = {
  summary: "SHA-256 of every archived file: manifest-sha256.txt (sha256sum -c), optional BagIt bag",
  usage: "archive manifest [--bagit] [-C DEST] [--json]",
  help: `
Hashes every file of the archive (everything in the workspace except .archive/, report/, bag/,
the manifest itself and in-flight temporary files) with SHA-256 on all cores and writes
manifest-sha256.txt at the workspace root. Check it anywhere with:

  cd DEST && sha256sum -c manifest-sha256.txt

Hashes are cached in the catalog by path, size, mtime and inode: unchanged files are not re-read.
Names with a backslash, newline or carriage return use GNU sha256sum's escaped form (the line
starts with "\\").

Options:
  --bagit   also write a BagIt 1.0 bag at DEST/bag/: bagit.txt, bag-info.txt (Payload-Oxum,
            Bagging-Date), manifest-sha256.txt, tagmanifest-sha256.txt, and the payload under
            bag/data/ as hard links to the archive's files (no second copy of the bytes).
            Validate with: bagit.py --validate DEST/bag`,
  options: {
    bagit: { type: "boolean" },
  },
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
      finishRun(ws.catalog, run, "manifest", result.skipped.length ? "partial" : "ok", result);
      ctx.progress.clear();
      if (ctx.opts.json) ctx.out(JSON.stringify(result, null, 2));
      else printManifest(ctx, result);
      return result.skipped.some((s) => !s.reason.startsWith("symbolic link")) ? 1 : 0;
    } finally {
      ws.close();
    }
  },
};

export default command;

function printManifest(ctx: Context, r: ManifestResult): void {
  const secs = r.durationMs / 1000;
  const lines = [
    kleur.bold(`Manifest: ${r.manifest}`),
    `${r.files} files, ${formatBytes(r.bytes)}: ${r.hashed} hashed (${formatBytes(r.hashedBytes)}${secs > 0 && r.hashedBytes ? `, ${formatBytes(r.hashedBytes / secs)}/s` : ""}), ${r.cached} unchanged (from the cache), in ${formatDuration(secs)}`,
  ];
  if (r.bag) lines.push(`BagIt bag: ${r.bag.dir} (Payload-Oxum ${r.bag.payloadOxum})`);
  if (r.skipped.length) {
    lines.push(kleur.yellow(`Not in the manifest: ${r.skipped.length}`));
    for (const s of r.skipped.slice(0, 50)) lines.push(`  ${JSON.stringify(s.path)}: ${s.reason}`);
    if (r.skipped.length > 50) lines.push(`  ... and ${r.skipped.length - 50} more (--json lists all)`);
  }
  lines.push(`Check it: cd ${JSON.stringify(ctx.opts.dir ?? ".")} && sha256sum -c manifest-sha256.txt  (or: archive verify)`);
  ctx.out(lines.join("\n"));
}
