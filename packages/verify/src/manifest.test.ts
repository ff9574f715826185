import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openWorkspace, type Workspace } from "@archive/core";
import { addItem, addJob, tempDir } from "../test/helpers.js";
import { buildManifest } from "./manifest.js";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
let root: string;
let ws: Workspace;
beforeEach(async () => {
  root = await tempDir("manifest-");
  ws = openWorkspace(root, { create: true, lock: false });
  await mkdir(join(root, "converted"));
});
afterEach(() => ws.close());

/** An output as convert leaves it: the file, and a journal row with the hash it wrote. */
async function output(name: string, body: string): Promise<void> {
  await writeFile(join(root, "converted", name), body);
  const id = addItem(ws, "/lib", name, { kind: "photo", format: "jpeg", size: body.length });
  addJob(ws, id, { action: "copy", status: "done", output_rel: `converted/${name}`, output_sha256: sha(body) });
}

describe("buildManifest, called directly", () => {
  it("lists the journalled outputs with the journal's hash, and never a foreign file", async () => {
    await output("a.jpg", "a");
    await writeFile(join(root, "converted/stray.jpg"), "not ours");
    await writeFile(join(root, "notes.txt"), "mine");
    const r = await buildManifest({ workspace: root, catalog: ws.catalog });
    expect(await readFile(join(root, "manifest-sha256.txt"), "utf8")).toBe(`${sha("a")}  converted/a.jpg\n`);
    expect(r).toMatchObject({ files: 1, added: 1, failures: [] });
    expect(r.extra.map((e) => e.path)).toEqual(["converted/stray.jpg", "notes.txt"]);
  });

  it("a changed archived file is a failure; its line keeps the recorded hash", async () => {
    await output("a.jpg", "a");
    await buildManifest({ workspace: root, catalog: ws.catalog });
    await writeFile(join(root, "converted/a.jpg"), "rot");
    const r = await buildManifest({ workspace: root, catalog: ws.catalog });
    expect(r.failures).toEqual([{ path: "converted/a.jpg", reason: `changed since it was archived: manifest ${sha("a")}, file now ${sha("rot")}` }]);
    expect(r.added).toBe(0);
    expect(await readFile(join(root, "manifest-sha256.txt"), "utf8")).toBe(`${sha("a")}  converted/a.jpg\n`);
  });

  it("bytes convert wrote since (the journal records them) renew the line", async () => {
    await output("a.jpg", "a");
    await buildManifest({ workspace: root, catalog: ws.catalog });
    await writeFile(join(root, "converted/a.jpg"), "a2");
    ws.catalog.db.prepare("UPDATE jobs SET output_sha256 = ?").run(sha("a2"));
    const r = await buildManifest({ workspace: root, catalog: ws.catalog });
    expect(r).toMatchObject({ failures: [], added: 1 });
    expect(await readFile(join(root, "manifest-sha256.txt"), "utf8")).toBe(`${sha("a2")}  converted/a.jpg\n`);
  });

  it("a kept original enters with the hash recorded for it (params.originalSha256, else the source item's while current)", async () => {
    await mkdir(join(root, "originals"));
    await writeFile(join(root, "converted/b.jpg"), "jpeg");
    await writeFile(join(root, "originals/b.heic"), "rot"); // not the source's bytes any more
    await writeFile(join(root, "originals/c.heic"), "heic-c");
    const b = addItem(ws, "/lib", "b.heic", { kind: "photo", format: "heic", size: 4, sha256: sha("heic") });
    addJob(ws, b, { action: "convert", status: "done", output_rel: "converted/b.jpg", output_sha256: sha("jpeg"), params: JSON.stringify({ original: "originals/b.heic" }) });
    const c = addItem(ws, "/lib", "c.heic", { kind: "photo", format: "heic", size: 6 });
    addJob(ws, c, { action: "convert", status: "done", output_rel: null, params: JSON.stringify({ original: "originals/c.heic", originalSha256: sha("heic-c") }) });
    const r = await buildManifest({ workspace: root, catalog: ws.catalog });
    expect(await readFile(join(root, "manifest-sha256.txt"), "utf8")).toBe(
      `${sha("jpeg")}  converted/b.jpg\n${sha("heic")}  originals/b.heic\n${sha("heic-c")}  originals/c.heic\n`,
    );
    // the recorded hash is the evidence, not the bytes found: b.heic is a failure that keeps the source's hash
    expect(r.failures).toEqual([{ path: "originals/b.heic", reason: expect.stringContaining(`journal ${sha("heic")}`) }]);
  });
});
