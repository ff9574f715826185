// `archive list --status` accepts every status `archive list` prints and the ledger counts,
// "unaccounted" included (the ledger and the report send the user to `archive list` for it), and
// names the valid values for a wrong one and in --help.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { LIST_STATUSES, openCatalog, recordJob, startRun } from "@archive/core";
import { runArchive, tempDir } from "../../../test/support.js";

const ALL = ["archived", "duplicate", "deleted", "unreadable", "pending", "excluded", "unaccounted"];

describe("archive list --status", () => {
  let ws = "";
  beforeAll(async () => {
    const src = await tempDir("list-status-src-");
    await writeFile(join(src, "a.bin"), Buffer.alloc(1000, 1));
    await writeFile(join(src, "b.bin"), Buffer.alloc(1000, 2));
    ws = await tempDir("list-status-ws-");
    const p = await runArchive(["plan", src, "-C", ws]);
    expect(p.code, p.stderr).toBe(0);
  }, 60_000);

  it("core's list of statuses is every status list prints, unaccounted included", () => {
    expect([...LIST_STATUSES].sort()).toEqual([...ALL].sort());
  });

  it("accepts every status, unaccounted included", async () => {
    for (const s of ALL) {
      const r = await runArchive(["list", "--status", s, "--json", "-C", ws]);
      expect(r.code, `${s}: ${r.stderr}`).toBe(0);
    }
  });

  it("--status unaccounted lists an item whose job status the archive does not know, with the reason; the others do not", async () => {
    const cat = openCatalog(join(ws, ".archive/catalog.db"));
    try {
      const b = cat.db.prepare("SELECT id, size, mtime_ms FROM items WHERE rel_path = 'b.bin'").get() as { id: number; size: number; mtime_ms: number };
      // a status written by a newer or foreign tool: no rule decides it
      recordJob(cat, { itemId: b.id, action: "copy", status: "paused" as never, outputRel: null, sourceSize: b.size, sourceMtimeMs: b.mtime_ms, runId: startRun(cat, "convert") });
    } finally {
      cat.close();
    }
    const r = await runArchive(["list", "--status", "unaccounted", "--json", "-C", ws]);
    expect(r.code, r.stderr).toBe(0);
    const entries = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { source: string; status: string; reason: string });
    expect(entries).toHaveLength(1);
    expect(entries[0]!.source).toMatch(/\/b\.bin$/);
    expect(entries[0]!.status).toBe("unaccounted");
    expect(entries[0]!.reason).toMatch(/"paused"/);
    const pending = await runArchive(["list", "--status", "pending", "--json", "-C", ws]);
    expect(pending.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { source: string }).source)).toEqual([expect.stringMatching(/\/a\.bin$/)]);
  });

  it("a wrong value is a usage error (exit 2) naming every valid value; --help lists them", async () => {
    const r = await runArchive(["list", "--status", "lost", "-C", ws]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--status/);
    for (const s of ALL) expect(r.stderr).toContain(s);
    const h = await runArchive(["list", "--help"]);
    expect(h.code).toBe(0);
    const option = h.stdout.split("\n").find((l) => /^\s+--status STATUS/.test(l))!;
    for (const s of ALL) expect(option).toContain(s);
  });
});
