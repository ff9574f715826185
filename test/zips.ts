// Zip parts built inside tests (issue 10): real fixture bytes, stored or deflated, ZIP64 on
// request, and byte patches for what no honest writer produces (`../evil.jpg`, CP437 names).
import { createWriteStream } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import yazl from "yazl";

/** One member: a file on disk or bytes, stored (compress: false) or deflated. */
export interface MemberSpec {
  name: string;
  file?: string;
  data?: Buffer | string;
  compress?: boolean;
  mtime?: Date;
}

/** Write a zip of `members` to `path`; `zip64` forces ZIP64 records even when small. */
export async function writeZip(path: string, members: MemberSpec[], options: { zip64?: boolean } = {}): Promise<void> {
  const z = new yazl.ZipFile();
  const done = new Promise<void>((res, rej) => {
    z.outputStream.pipe(createWriteStream(path)).on("close", res).on("error", rej);
  });
  for (const m of members) {
    const opts = { compress: m.compress ?? true, forceZip64Format: options.zip64 ?? false, mtime: m.mtime ?? new Date(2024, 0, 2, 3, 4, 6) };
    if (m.file) z.addFile(m.file, m.name, opts);
    else z.addBuffer(Buffer.isBuffer(m.data) ? m.data : Buffer.from(m.data ?? ""), m.name, opts);
  }
  z.end({ forceZip64Format: options.zip64 ?? false, comment: "" });
  await done;
}

/**
 * Replace every occurrence of the name `from` by `to` (same byte length) in a zip's local and
 * central headers; with `legacy`, clear the UTF-8 flag of those entries, as an old Windows or
 * macOS zipper would have written them.
 */
export async function patchName(path: string, from: string, to: Buffer | string, legacy = false): Promise<void> {
  const buf = await readFile(path);
  const a = Buffer.from(from);
  const b = Buffer.isBuffer(to) ? to : Buffer.from(to);
  if (a.length !== b.length) throw new Error("patchName needs names of the same byte length");
  let hits = 0;
  for (let i = buf.indexOf(a); i >= 0; i = buf.indexOf(a, i + 1)) {
    b.copy(buf, i);
    hits++;
    if (!legacy) continue;
    // local header: name at 30, flag at 6; central header: name at 46, flag at 8
    if (buf.readUInt32LE(i - 30) === 0x04034b50) buf.writeUInt16LE(buf.readUInt16LE(i - 24) & ~0x800, i - 24);
    if (buf.readUInt32LE(i - 46) === 0x02014b50) buf.writeUInt16LE(buf.readUInt16LE(i - 38) & ~0x800, i - 38);
  }
  if (hits < 2) throw new Error(`name ${from} found ${hits} times (expected local + central header)`);
  await writeFile(path, buf);
}
