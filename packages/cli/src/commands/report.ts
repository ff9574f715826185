import { spawn } from "node:child_process";
import { relative } from "node:path";
import { pathToFileURL } from "node:url";
import kleur from "kleur";
import { which } from "@archive/core";
import { buildReport } from "@archive/report";
import { defineCommand } from "../command.js";
import { workspaceFor } from "../context.js";
import { formatBytes, formatDuration } from "../render.js";

/** Hand the page to the desktop's browser; a failure to open is only a hint, never an error. */
function openInBrowser(file: string): boolean {
  const [cmd, args] =
    process.platform === "darwin" ? ["open", [file]] : process.platform === "win32" ? ["cmd", ["/c", "start", "", file]] : ["xdg-open", [file]];
  if (process.platform !== "win32" && !which(cmd)) return false;
  try {
    const child = spawn(cmd, args as string[], { detached: true, stdio: "ignore", shell: false });
    child.on("error", () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}

const command = defineCommand({
  name: "report",
  summary: "one self-contained HTML page: timeline, bytes, results, failures, duplicates, spot-check thumbnails",
  description: `
Writes <workspace>/report/index.html: one page that works offline (no network, no scripts),
readable on a phone and in dark mode, with items per month across the years, bytes by year and
kind, the plan summary, conversion and verify results, every failure with its reason and path,
duplicate groups, and a spot-check grid: a sample of archived items (rotated and HDR first, then
across years and cameras), each source rendered by our own decoder next to the archived copy.
Thumbnails (320 px) are made once and cached in <workspace>/report/thumbs/.`,
  options: {
    open: { kind: "boolean", help: "open the page in the default browser afterwards" },
    sample: { kind: "int", min: 0, max: 1000, help: "spot-check items (default 24, 0 for none)" },
    "cached-only": { kind: "boolean", help: "sample only items whose thumbnails already exist (fast; decodes nothing)" },
    ffmpeg: { kind: "string", value: "PATH", help: "use this ffmpeg for video poster frames" },
  },
  async run(ctx, v) {
    const sampleSize = v.sample;
    const ws = workspaceFor(ctx);
    try {
      const r = await buildReport({
        root: ws.root,
        catalog: ws.catalog,
        signal: ctx.signal,
        cachedThumbsOnly: v["cached-only"] === true,
        ...(sampleSize !== undefined ? { sampleSize } : {}),
        ...(v.ffmpeg !== undefined ? { ffmpeg: v.ffmpeg } : {}),
        onThumb: (done, total) => ctx.onEvent({ kind: "progress", stage: "thumbnails", done, total }),
      });
      ctx.progress.clear();
      if (ctx.opts.json) ctx.out(JSON.stringify(r, null, 2));
      else {
        const lines = [
          `Wrote ${relative(ctx.opts.cwd, r.file).startsWith("..") ? r.file : relative(ctx.opts.cwd, r.file)} (${formatBytes(r.bytes)}): ${r.months} months, ${r.failures} failures listed, ${r.sampled} spot-check items`,
          ...(r.unresolved + r.accepted ? [`Unreadable or skipped in the library: ${r.unresolved} unresolved, ${r.accepted} accepted (listed on the page)`] : []),
          `Thumbnails: ${r.thumbsGenerated} made, ${r.thumbsCached} cached; ${formatDuration(r.timings.totalMs / 1000)}`,
        ];
        for (const e of r.thumbErrors.slice(0, 20)) lines.push(kleur.yellow(`  no thumbnail for ${e.path}: ${e.reason}`));
        lines.push(`Open: ${pathToFileURL(r.file).href}`);
        ctx.out(lines.join("\n"));
      }
      if (v.open === true && !openInBrowser(r.file)) ctx.err(`could not start a browser; open ${r.file} yourself`);
      return 0;
    } finally {
      ws.close();
    }
  },
});

export default command;
