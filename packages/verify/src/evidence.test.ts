import { describe, expect, it } from "vitest";
import type { ArchivedOutputRow } from "@archive/core";
import { EXTRA_REASON, planManifest, settleLine } from "./evidence.js";
import type { ArchiveFile } from "./walk.js";

const A = "a".repeat(64);
const B = "b".repeat(64);
const C = "c".repeat(64);
const file = (rel: string): ArchiveFile => ({ rel, abs: `/ws/${rel}`, size: 10, mtimeMs: 1, ino: 1, dev: 1 });
const out = (rel: string, sha256: string | null): [string, ArchivedOutputRow] => [rel, { rel, itemId: 1, sha256, size: 10 }];

describe("the manifest is evidence: which hash a line gets", () => {
  const old = new Map([
    ["converted/kept.jpg", A],
    ["converted/redone.jpg", A],
    ["converted/legacy.jpg", A],
    ["notes.txt", C],
  ]);
  const outputs = new Map([
    out("converted/kept.jpg", A),
    out("converted/redone.jpg", B), // convert wrote new bytes there since
    out("converted/legacy.jpg", null), // journalled before hashes were recorded
    out("converted/new.jpg", B),
    out("converted/first.jpg", null),
  ]);
  const disk = ["converted/kept.jpg", "converted/redone.jpg", "converted/legacy.jpg", "converted/new.jpg", "converted/first.jpg", "notes.txt", "converted/stray.jpg"].map(file);
  const plan = planManifest(old, outputs, disk);
  const line = (rel: string) => plan.lines.find((l) => l.rel === rel)!;

  it("lists the journalled outputs only; foreign files are extra, their old lines dropped", () => {
    expect(plan.lines.map((l) => l.rel).sort()).toEqual(["converted/first.jpg", "converted/kept.jpg", "converted/legacy.jpg", "converted/new.jpg", "converted/redone.jpg"]);
    expect(plan.extra).toEqual([
      { path: "notes.txt", reason: EXTRA_REASON },
      { path: "converted/stray.jpg", reason: EXTRA_REASON },
    ]);
    expect(plan.dropped).toEqual(["notes.txt"]);
  });

  it("a changed archived file is a failure and keeps its recorded hash", () => {
    expect(settleLine(line("converted/kept.jpg"), { sha256: A })).toEqual({ sha256: A });
    expect(settleLine(line("converted/kept.jpg"), { sha256: C })).toEqual({ sha256: A, failure: expect.stringMatching(/^changed since it was archived: manifest a+, file now c+$/) });
    expect(settleLine(line("converted/legacy.jpg"), { sha256: C })).toEqual({ sha256: A, failure: expect.stringContaining("changed since it was archived") });
  });

  it("the journal's hash is the source of a line: a re-conversion renews it, other bytes fail", () => {
    expect(settleLine(line("converted/redone.jpg"), { sha256: B })).toEqual({ sha256: B });
    expect(settleLine(line("converted/redone.jpg"), { sha256: C })).toEqual({ sha256: A, failure: expect.stringContaining("not the bytes convert wrote") });
    expect(settleLine(line("converted/new.jpg"), { sha256: B })).toEqual({ sha256: B });
    expect(settleLine(line("converted/new.jpg"), { sha256: C })).toEqual({ sha256: B, failure: expect.stringContaining("journal b") });
  });

  it("only a job journalled without any hash gets its first record from a read", () => {
    expect(settleLine(line("converted/first.jpg"), { sha256: C })).toEqual({ sha256: C });
  });

  it("a missing or unreadable output fails and keeps what was recorded", () => {
    const gone = planManifest(old, outputs, []).lines.find((l) => l.rel === "converted/kept.jpg")!;
    expect(settleLine(gone, undefined)).toEqual({ sha256: A, failure: expect.stringContaining("missing") });
    expect(settleLine(line("converted/kept.jpg"), { error: "EIO" })).toEqual({ sha256: A, failure: "cannot be read: EIO" });
  });
});
