import { LIST_STATUSES, listItems, type ListFilter } from "@archive/core";
import { defineCommand, EXIT } from "../command.js";
import { workspaceFor } from "../context.js";

/** Every status `archive list` can print (core's one list), for --status, its error and --help. */
const STATUSES = LIST_STATUSES;

const command = defineCommand({
  name: "list",
  summary: "every source item: where it went (archived, duplicate, ...) or why not",
  description: `
One line per source item: its status and where its bytes are in the archive. With --json, one
JSON object per line (NDJSON): source, status, output (workspace-relative, or null), duplicateOf,
captureTime (ISO 8601 with the photo's own UTC offset), captureSource, favorite, hidden, albums,
sha256, reason, and verifiedAt (when the output was last re-read and matched the manifest: archive
verify --sample), kept (older outputs holding the content archived before the source changed).
The status is one of: ${STATUSES.join(" | ")}.
Then every entry the walk skipped or could not read (folder links, FIFOs and devices, unreadable
folders, names that are not UTF-8): status unreadable or excluded, with the reason (and when it
was accepted with --accept-unreadable); --status filters them too, --year and --album leave them
out (they have neither). "unaccounted" is an item whose catalog state no rule decides (a job
status this version does not know): the ledger of plan and report counts it, and it should be 0.`,
  options: {
    status: { kind: "choice", choices: STATUSES, value: "STATUS", help: `only items with this status: ${STATUSES.join(", ")}` },
    year: { kind: "int", min: 1800, max: 2200, value: "Y", help: "only items captured in year Y" },
    album: { kind: "string", value: "NAME", help: "only items in this album" },
  },
  async run(ctx, values) {
    const ws = workspaceFor(ctx);
    try {
      const filter: ListFilter = {
        ...(values.status ? { status: values.status } : {}),
        ...(values.year !== undefined ? { year: values.year } : {}),
        ...(values.album !== undefined ? { album: values.album } : {}),
      };
      let n = 0;
      for (const e of listItems(ws.catalog, filter)) {
        if (ctx.signal.aborted) break;
        n++;
        if (ctx.opts.json) ctx.out(JSON.stringify(e));
        else ctx.out(`${e.status.padEnd(10)} ${e.source}${e.output ? `  ->  ${e.output}` : ""}${e.reason && e.status !== "archived" ? `  (${e.reason})` : ""}${e.kept.length ? `  (earlier content kept: ${e.kept.join(", ")})` : ""}`);
      }
      if (!ctx.opts.json) ctx.err(`${n} ${n === 1 ? "entry" : "entries"}`);
      return EXIT.ok;
    } finally {
      ws.close();
    }
  },
});

export default command;
