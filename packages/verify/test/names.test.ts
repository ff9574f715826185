import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openWorkspace, type Workspace } from "@archive/core";
import { bagitDecodePath, bagitEncodePath, buildManifest, parseSha256sumLine, parseSha256sumManifest, sha256sumLine, verify } from "../src/index.js";
import { addItem, addJob, execFileP, hasTool, tempDir } from "./helpers.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Journal each file as convert would (a copy with its SHA-256): only the archive's own outputs enter the manifest. */
function journal(ws: Workspace, root: string, names: readonly string[]): void {
  for (const n of names) {
    const bytes = readFileSync(join(root, n));
    const id = addItem(ws, "/library", n, { kind: "photo", format: "jpeg", size: bytes.length });
    addJob(ws, id, { action: "copy", status: "done", output_rel: n, output_sha256: createHash("sha256").update(bytes).digest("hex") });
  }
}

// Awkward names an iCloud export or a person can produce; NFC and NFD "é" sit in different folders
// (bagit-python compares names after NFC normalisation, so both in one folder would collide there).
const NAMES = [
  "converted/2019/a b  c.jpg",
  "converted/2019/100% sure %0A.jpg",
  "converted/nfc/caf\u00e9.jpg",
  "converted/nfd/cafe\u0301.jpg",
  "converted/2019/line\nbreak.jpg",
  "converted/2019/carriage\rreturn.jpg",
  "converted/2019/back\\slash.jpg",
  "converted/2019/\u65e5\u672c \u{1F4F7}.jpg",
];

const havePython = await hasTool("python3", ["--version"]);
const haveSha256sum = await hasTool("sha256sum", ["--version"]);
const bagitPython = havePython
  ? await execFileP("python3", ["-c", "import bagit"]).then(() => true, () => false)
  : false;
if (!bagitPython) {
  console.warn(
    "bagit-python (the Library of Congress validator) is not installed (`python3 -c 'import bagit'` fails; Debian 12 has no python3-bagit and PyPI is unreachable here): its test is skipped; the stdlib RFC 8493 validator in test/bag_validate.py still runs",
  );
}

describe("sha256sum and BagIt path encoding", () => {
  it.each(NAMES)("round-trips %j", (name) => {
    const line = sha256sumLine("ab".repeat(32), name);
    expect(line).not.toMatch(/[\n\r]/);
    expect(parseSha256sumLine(line)).toEqual({ sha256: "ab".repeat(32), rel: name });
    const enc = bagitEncodePath(name);
    expect(enc).not.toMatch(/[\n\r]/);
    expect(bagitDecodePath(enc)).toBe(name);
  });

  it("reads sha256sum's own binary-mode lines", () => {
    expect(parseSha256sumLine(`${"0".repeat(64)} *x y`)).toEqual({ sha256: "0".repeat(64), rel: "x y" });
    expect(parseSha256sumManifest("nonsense\n").malformed).toEqual([1]);
  });
});

describe("awkward names through the manifest, sha256sum -c and the bag", () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir();
    openWorkspace(root, { create: true, lock: false }).close();
    for (const [i, n] of NAMES.entries()) {
      await mkdir(dirname(join(root, n)), { recursive: true });
      await writeFile(join(root, n), `file ${i}: ${n}\n`);
    }
    const ws = openWorkspace(root, { lock: false });
    try {
      journal(ws, root, NAMES);
      const r = await buildManifest({ workspace: root, catalog: ws.catalog, bagit: true });
      expect(r.files).toBe(NAMES.length);
      expect(r.skipped).toEqual([]);
    } finally {
      ws.close();
    }
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("the manifest lists every name exactly (NFC and NFD kept apart)", async () => {
    const { entries } = parseSha256sumManifest(await readFile(join(root, "manifest-sha256.txt"), "utf8"));
    expect(entries.map((e) => e.rel).sort()).toEqual([...NAMES].sort());
  });

  it.skipIf(!haveSha256sum)("sha256sum -c accepts it", async () => {
    const { stdout } = await execFileP("sha256sum", ["-c", "--strict", "manifest-sha256.txt"], { cwd: root });
    expect(stdout.match(/: OK$/gm)).toHaveLength(NAMES.length);
  });

  it("verify's fixity passes, and the bag's payload holds every name", async () => {
    const ws = openWorkspace(root, { lock: false });
    try {
      const r = await verify({ workspace: root, catalog: ws.catalog, checks: ["fixity"] });
      expect(r.checks[0]!.failures).toEqual([]);
      expect(r.checks[0]!.passed).toBe(NAMES.length);
    } finally {
      ws.close();
    }
    expect((await readdir(join(root, "bag"))).sort()).toEqual(["bag-info.txt", "bagit.txt", "data", "manifest-sha256.txt", "tagmanifest-sha256.txt"]);
    const info = await readFile(join(root, "bag/bag-info.txt"), "utf8");
    expect(info).toMatch(/^Payload-Oxum: \d+\.8$/m);
    expect(info).toMatch(/^Bagging-Date: \d{4}-\d{2}-\d{2}$/m);
    expect(info).toMatch(/^Bag-Software-Agent: archive/m);
    const manifest = await readFile(join(root, "bag/manifest-sha256.txt"), "utf8");
    expect(manifest).toContain("data/converted/2019/100%25 sure %250A.jpg");
    expect(manifest).toContain("data/converted/2019/line%0Abreak.jpg");
  });

  it.skipIf(!havePython)("the bag validates with an independent RFC 8493 validator (stdlib Python)", async () => {
    const { stdout } = await execFileP("python3", [join(here, "bag_validate.py"), join(root, "bag")]);
    expect(stdout.trim()).toBe(`valid: ${NAMES.length} payload files`);
  });

  it.skipIf(!havePython)("the validator rejects a damaged bag", async () => {
    const dir = await tempDir();
    await execFileP("cp", ["-a", join(root, "bag"), join(dir, "bag")]);
    await writeFile(join(dir, "bag/data/converted/nfc/caf\u00e9.jpg"), "changed\n"); // cp -a made a copy, not a link
    const r = await execFileP("python3", [join(here, "bag_validate.py"), join(dir, "bag")]).then(() => 0, (e: { code: number }) => e.code);
    expect(r).toBe(1);
    await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!bagitPython)("the bag validates with bagit-python (names without % only: bagit-python does not decode %25, LibraryOfCongress/bagit-python#157)", async () => {
    const dir = await tempDir();
    openWorkspace(dir, { create: true, lock: false }).close();
    for (const n of NAMES.filter((x) => !x.includes("%"))) {
      await mkdir(dirname(join(dir, n)), { recursive: true });
      await writeFile(join(dir, n), n);
    }
    const ws = openWorkspace(dir, { lock: false });
    try {
      journal(ws, dir, NAMES.filter((x) => !x.includes("%")));
      await buildManifest({ workspace: dir, catalog: ws.catalog, bagit: true });
    } finally {
      ws.close();
    }
    await execFileP("python3", ["-m", "bagit", "--validate", join(dir, "bag")]);
    await rm(dir, { recursive: true, force: true });
  });
});
