// Zip parts read in place (issue 10): Apple delivers a library as zip parts of up to ~40 GB, and
// extracting them first doubles the disk a library needs. yauzl 3 reads the central directory
// with random access (ZIP64 included) and streams one member at a time; it does not check CRC-32,
// so every member stream here does. Member names are data, never paths: a name that would
// escape (`../`, absolute, a drive letter) is refused with a reason and the rest is read.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open, rm, type FileHandle } from "node:fs/promises";
import { PassThrough, Transform, type Readable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { crc32, inflateRaw } from "node:zlib";
import yauzl from "yauzl";
import { reasonOf } from "../errors.js";

/** Where a zip member lives: the zip file, an optional nested zip member inside it, the member. */
export interface ZipLocation {
  /** The zip file on disk (absolute). */
  zip: string;
  /** The member path of a nested zip inside `zip` ("…/iCloud Shared Albums.zip"), or null. */
  nested: string | null;
  /** The member path (decoded, NFC, "/"-separated). */
  member: string;
}

/** One file member of a zip, as the central directory describes it. */
export interface ZipMember {
  /** Decoded name: UTF-8 when the entry says so (flag bit 11 or Info-ZIP path field), else CP437. */
  path: string;
  size: number;
  compressedSize: number;
  crc32: number;
  /** "stored", "deflated", or another method number (which cannot be read). */
  method: "stored" | "deflated" | number;
  /** The DOS timestamp as local wall-clock time, in ms (zips carry no zone). */
  mtimeMs: number;
  /** True when the name was not marked UTF-8 and was decoded as CP437. */
  legacyName: boolean;
  /** @internal the yauzl entry */
  readonly entry: yauzl.Entry;
}

/** A member that is listed but never read, with the reason. */
export interface ZipRefusal {
  path: string;
  reason: string;
}

/** The display form of a location: the zip path, then the nested zip's member, then the member. */
export function zipDisplayPath(loc: ZipLocation): string {
  return [loc.zip, loc.nested, loc.member].filter((p): p is string => p !== null).join("/");
}

/** True when `buf` starts like a zip (a local file header, or the end record of an empty zip). */
export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}

/**
 * Why a member name cannot be used, or null. yauzl's own check (absolute, `..` segments, drive
 * letters after backslashes became slashes) plus drive-relative names, control characters and NUL.
 */
export function refuseMemberName(name: string): string | null {
  if (name === "") return "empty member name";
  if (/[\x00-\x1f]/.test(name)) return "member name contains control characters";
  if (/^[A-Za-z]:/.test(name)) return `member name starts with a drive letter: ${JSON.stringify(name)}`;
  const bad = yauzl.validateFileName(name);
  return bad === null ? null : `unsafe member name (${bad})`;
}

/** An open zip: list members, stream them (CRC-checked), open a nested zip. Close it in `finally`. */
export class ZipPart {
  private cleanup: (() => Promise<void>) | null = null;
  private constructor(
    /** What the user sees: the zip path, or zip path + nested member. */
    readonly display: string,
    private readonly zip: yauzl.ZipFile,
    private readonly reader: SliceReader,
  ) {}

  /** Open a zip file; throws with a reason when it is truncated, corrupt or not a zip. */
  static async open(file: string, display = file): Promise<ZipPart> {
    // our reader, not yauzl.open: yauzl's own file reader streams in 16 KiB reads (measured:
    // 25 MiB/s on a 4 GiB stored part here, against 1 MiB range reads; bench/zip.mjs)
    const fh = await open(file, "r");
    const reader = new SliceReader(fh, file, 0, (await fh.stat()).size);
    try {
      const zip = await yauzl.fromRandomAccessReaderPromise(reader, reader.length, YAUZL_OPTIONS);
      return new ZipPart(display, zip, reader);
    } catch (err) {
      await fh.close();
      throw new Error(`not a readable zip (truncated or corrupt?): ${reasonOf(err)}`, { cause: err });
    }
  }

  /** The number of entries the central directory declares (directories included). */
  get entryCount(): number {
    return this.zip.entryCount;
  }

  /**
   * Every entry of the central directory in order, one at a time (memory stays flat for 100k
   * entries): file members, or refusals with a reason. Folders are skipped. A corrupt central
   * directory ends the listing with a refusal naming the zip.
   */
  async *members(): AsyncGenerator<ZipMember | ZipRefusal> {
    const seen = new Set<string>();
    for (;;) {
      let entry: yauzl.Entry | null;
      try {
        entry = await nextEntry(this.zip);
      } catch (err) {
        yield { path: "", reason: `the zip's central directory is corrupt: ${reasonOf(err)}` };
        return;
      }
      if (!entry) return;
      // everything before the central directory is member data: read exactly, never through the listing's block cache
      this.reader.uncachedBelow = Math.max(this.reader.uncachedBelow, entry.relativeOffsetOfLocalHeader + 31 + entry.compressedSize);
      const item = describe(entry);
      if ("reason" in item || item.path.endsWith("/")) {
        if ("reason" in item) yield item;
        continue;
      }
      if (seen.has(item.path)) {
        yield { path: item.path, reason: "a second member with the same name (the first one is used)" };
        continue;
      }
      seen.add(item.path);
      yield item;
    }
  }

  /** The member's bytes as a stream; it errors on a CRC-32 or size mismatch (a damaged part). */
  async stream(m: ZipMember): Promise<Readable> {
    if (typeof m.method === "number") throw new Error(`unsupported compression method ${m.method}`);
    const raw = await this.zip.openReadStreamPromise(m.entry);
    const check = new CrcCheck(m);
    raw.on("error", (err) => check.destroy(err));
    return raw.pipe(check);
  }

  /** The first `max` bytes of a member (a stored member reads only that range). */
  async head(m: ZipMember, max: number): Promise<Buffer> {
    const want = Math.min(max, m.size);
    if (want === 0) return Buffer.alloc(0);
    if (m.method === "stored") return this.readStored(m, 0, want);
    const s = await this.stream(m);
    const chunks: Buffer[] = [];
    let got = 0;
    try {
      for await (const chunk of s as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        got += chunk.length;
        if (got >= want) break;
      }
    } finally {
      s.destroy();
    }
    return Buffer.concat(chunks).subarray(0, want);
  }

  private readonly starts = new WeakMap<yauzl.Entry, Promise<number>>();
  /** Where the member's data starts in this zip (yauzl reads and bounds-checks its local header, once). */
  private dataStart(m: ZipMember): Promise<number> {
    let at = this.starts.get(m.entry);
    if (!at) {
      at = this.zip.readLocalFileHeaderPromise(m.entry, { minimal: true }).then((h) => h.fileDataStart);
      this.starts.set(m.entry, at);
    }
    return at;
  }

  /** Where the member's data is on disk (a file and an offset), for a reader on another thread (HashPool.member). */
  async dataRange(m: ZipMember): Promise<{ file: string; start: number }> {
    return { file: this.reader.file, start: this.reader.start + (await this.dataStart(m)) };
  }

  /**
   * The whole member in memory, CRC-32 and size checked (one read; a deflated member is inflated
   * on libuv's thread pool). For members small enough to hold: the scan reads these without a
   * temp copy.
   */
  async read(m: ZipMember): Promise<Buffer> {
    if (typeof m.method === "number") throw new Error(`unsupported compression method ${m.method}`);
    const raw = await this.reader.range(await this.dataStart(m), m.compressedSize);
    // one byte more than declared is allowed out, so a member longer than its entry says is caught below
    const data = m.method === "stored" ? raw : await inflate(raw, { maxOutputLength: m.size + 1, chunkSize: INFLATE_CHUNK }).catch((err: unknown) => {
      throw new Error(`cannot inflate ${m.path}: ${reasonOf(err)}: the part is damaged`, { cause: err });
    });
    if (data.length !== m.size) throw new Error(`size mismatch in ${m.path}: ${data.length} bytes where the zip says ${m.size}: the part is damaged`);
    if (crc32(data) >>> 0 !== m.crc32 >>> 0) throw new Error(`CRC-32 mismatch in ${m.path}: the part is damaged`);
    return data;
  }

  /**
   * `length` bytes at `offset` of a stored member, read in place (fewer at the member's end).
   * Not CRC-checked: for reading metadata of a member whose whole bytes are checked by sha256().
   */
  async readStored(m: ZipMember, offset: number, length: number): Promise<Buffer> {
    if (m.method !== "stored") throw new Error(`${m.path} is compressed: no random access`);
    const n = Math.max(0, Math.min(length, m.size - offset));
    return n === 0 ? Buffer.alloc(0) : this.reader.range((await this.dataStart(m)) + offset, n);
  }

  /**
   * Write one member to `dest` (CRC-checked); returns its SHA-256. The caller deletes `dest`. A
   * stored member is copied in 1 MiB positional reads (measured, 152 members, 177 MiB written and
   * deleted: 0.74 CPU s, against 1.10 through yauzl's stream), a deflated one streamed.
   */
  async extractTo(m: ZipMember, dest: string): Promise<{ sha256: string }> {
    const sha = createHash("sha256");
    if (m.method !== "stored") {
      const tap = new PassThrough();
      tap.on("data", (c: Buffer) => sha.update(c));
      await pipeline(await this.stream(m), tap, createWriteStream(dest, { flags: "wx" }));
      return { sha256: sha.digest("hex") };
    }
    const out = await open(dest, "wx");
    try {
      for await (const b of this.storedChunks(m)) {
        sha.update(b);
        await out.write(b);
      }
    } finally {
      await out.close();
    }
    return { sha256: sha.digest("hex") };
  }

  /** The member's SHA-256, CRC-checked: a stored member in 1 MiB positional reads, a deflated one streamed. */
  async sha256(m: ZipMember): Promise<string> {
    const sha = createHash("sha256");
    const chunks = m.method === "stored" ? this.storedChunks(m) : ((await this.stream(m)) as AsyncIterable<Buffer>);
    for await (const chunk of chunks) sha.update(chunk);
    return sha.digest("hex");
  }

  /**
   * A stored member's bytes in 1 MiB positional reads, the next in flight while one is used
   * (measured faster than yauzl's stream); throws after the last one when the CRC-32 differs.
   */
  private async *storedChunks(m: ZipMember): AsyncGenerator<Buffer> {
    if (m.compressedSize !== m.size) throw new Error(`size mismatch in ${m.path}: stored with ${m.compressedSize} bytes where the zip says ${m.size}: the part is damaged`);
    const start = await this.dataStart(m);
    const chunk = (off: number) => (off < m.size ? this.reader.range(start + off, Math.min(BLOCK, m.size - off)) : null);
    let crc = 0;
    let next = chunk(0);
    for (let off = 0; next; off += BLOCK) {
      const b = await next;
      next = chunk(off + BLOCK);
      // a read left in flight when the caller stops early must not reject unobserved
      next?.catch(() => undefined);
      crc = crc32(b, crc);
      yield b;
    }
    if (crc >>> 0 !== m.crc32 >>> 0) throw new Error(`CRC-32 mismatch in ${m.path}: the part is damaged`);
  }

  /**
   * A zip stored inside this one. A stored member is read in place through a reader over this
   * file's bytes; a deflated one has no random access, so it is extracted once to `tmpFile`
   * (deleted by close()).
   */
  async openNested(m: ZipMember, file: string, tmpFile: string): Promise<ZipPart> {
    const display = `${this.display}/${m.path}`;
    if (m.method === "stored" && !m.entry.isEncrypted()) {
      const { fileDataStart } = await this.zip.readLocalFileHeaderPromise(m.entry, { minimal: true });
      const reader = new SliceReader(await open(file, "r"), file, fileDataStart, m.size);
      try {
        const zip = await yauzl.fromRandomAccessReaderPromise(reader, m.size, YAUZL_OPTIONS);
        return new ZipPart(display, zip, reader);
      } catch (err) {
        await reader.fh.close();
        throw new Error(`not a readable zip (truncated or corrupt?): ${reasonOf(err)}`, { cause: err });
      }
    }
    await this.extractTo(m, tmpFile);
    const part = await ZipPart.open(tmpFile, display).catch(async (err: unknown) => {
      await rm(tmpFile, { force: true });
      throw err;
    });
    part.cleanup = () => rm(tmpFile, { force: true });
    return part;
  }

  /** Close the file (and delete a nested zip's temp copy). */
  async close(): Promise<void> {
    this.zip.close();
    if (this.cleanup) await this.cleanup();
    this.cleanup = null;
  }
}

const BLOCK = 1 << 20;
const inflate = promisify(inflateRaw);
/** Output chunk of a whole-member inflate: zlib's default 16 KiB cost ~30 us of JS per chunk (measured). */
const INFLATE_CHUNK = 1 << 20;
const YAUZL_OPTIONS = { lazyEntries: true, decodeStrings: false, autoClose: false, validateEntrySizes: true } as const;

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | null> {
  return new Promise((resolve, reject) => {
    const onEntry = (e: yauzl.Entry) => done(null, e);
    const onEnd = () => done(null, null);
    const onError = (err: Error) => done(err, null);
    function done(err: Error | null, e: yauzl.Entry | null) {
      zip.off("entry", onEntry).off("end", onEnd).off("error", onError);
      if (err) reject(err);
      else resolve(e);
    }
    zip.on("entry", onEntry).on("end", onEnd).on("error", onError);
    zip.readEntry();
  });
}

function describe(entry: yauzl.Entry): ZipMember | ZipRefusal {
  const raw = entry.fileNameRaw;
  const utf8 = (entry.generalPurposeBitFlag & 0x800) !== 0 || entry.extraFields.some((f) => f.id === 0x7075);
  // getFileNameLowLevel: UTF-8 by flag or Info-ZIP path field, CP437 otherwise; "\" becomes "/"
  const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, false).normalize("NFC");
  const refused = refuseMemberName(name);
  if (refused) return { path: name, reason: refused };
  if (entry.isEncrypted()) return { path: name, reason: "encrypted member (cannot be read without the password)" };
  const method = entry.compressionMethod === 0 ? "stored" : entry.compressionMethod === 8 ? "deflated" : entry.compressionMethod;
  if (typeof method === "number") return { path: name, reason: `unsupported compression method ${method}` };
  return {
    path: name,
    size: entry.uncompressedSize,
    compressedSize: entry.compressedSize,
    crc32: entry.crc32,
    method,
    mtimeMs: entry.getLastModDate().getTime(),
    legacyName: !utf8,
    entry,
  };
}

/** Passes bytes through and fails at the end when their CRC-32 is not the central directory's. */
class CrcCheck extends Transform {
  private crc = 0;
  constructor(private readonly m: ZipMember) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.crc = crc32(chunk, this.crc);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (this.crc >>> 0 !== this.m.crc32 >>> 0) cb(new Error(`CRC-32 mismatch in ${this.m.path}: the part is damaged`));
    else cb();
  }
}

/** A window [start, start+length) of a file, read in 1 MiB ranges (a whole zip, or a stored nested one). */
class SliceReader extends yauzl.RandomAccessReader {
  constructor(
    readonly fh: FileHandle,
    readonly file: string,
    readonly start: number,
    readonly length: number,
  ) {
    super();
  }
  override _readStreamForRange(start: number, end: number): Readable {
    // its own descriptor: a stream on the shared handle closes it when yauzl destroys the stream early
    return createReadStream(this.file, { start: this.start + start, end: this.start + Math.min(end, this.length) - 1, highWaterMark: 1 << 20 });
  }
  /** `length` bytes at `position` of the window, in one positional read (a member's data). */
  async range(position: number, length: number): Promise<Buffer> {
    if (position + length > this.length) throw new Error("unexpected end of file");
    const buf = Buffer.allocUnsafe(length);
    for (let got = 0; got < length; ) {
      const { bytesRead } = await this.fh.read(buf, got, length - got, this.start + position + got);
      if (bytesRead === 0) throw new Error("unexpected end of file");
      got += bytesRead;
    }
    return buf;
  }
  // yauzl reads the central directory one record at a time (two small reads per entry): serve
  // them from 1 MiB blocks (measured: 70,152 entries listed in 10.9 s with a read per record).
  // Reads below `uncachedBelow` (local headers of members already listed) are read exactly: in
  // a 1 MiB block each, they cost the listing its block and ~40% of a zip plan's time in reads and GC.
  private block: { at: number; bytes: Buffer } | null = null;
  uncachedBelow = 0;
  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    this.readAt(buffer, offset, length, position).then(() => callback(null), (err: Error) => callback(err));
  }
  private async readAt(buffer: Buffer, offset: number, length: number, position: number): Promise<void> {
    const end = position + length;
    if (end > this.length) throw new Error("unexpected end of file");
    if (position < this.uncachedBelow) {
      const { bytesRead } = await this.fh.read(buffer, offset, length, this.start + position);
      if (bytesRead < length) throw new Error("unexpected end of file");
      return;
    }
    let b = this.block;
    if (!b || position < b.at || end > b.at + b.bytes.length) {
      const size = Math.max(length, Math.min(BLOCK, this.length - position));
      const bytes = Buffer.alloc(size);
      const { bytesRead } = await this.fh.read(bytes, 0, size, this.start + position);
      if (bytesRead < length) throw new Error("unexpected end of file");
      b = { at: position, bytes: bytes.subarray(0, bytesRead) };
      if (size <= BLOCK) this.block = b;
    }
    b.bytes.copy(buffer, offset, position - b.at, end - b.at);
  }
  override close(callback: (err: Error | null) => void): void {
    this.fh.close().then(() => callback(null), (err: Error) => callback(err));
  }
}
