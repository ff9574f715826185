// The one ISO-BMFF box iterator (HEIF, MP4, QuickTime): every parser in the media module walks
// boxes through it, so a malformed or truncated header is handled the same way everywhere.

/** One box: its type and where its header, payload and end are in the buffer. */
export interface Box {
  type: string;
  /** Offset of the box header. */
  start: number;
  /** Offset of the payload (after the 8- or 16-byte header). */
  body: number;
  /** Offset after the box; may exceed the region when the data is truncated (see `complete`). */
  end: number;
}

export interface BoxOptions {
  /** Stop at a box that runs past `end` instead of yielding it (a truncated child is not parsed). */
  complete?: boolean;
}

/** Four latin-1 characters at `offset` (a box type or brand). */
export function fourcc(b: Buffer, offset: number): string {
  return b.toString("latin1", offset, offset + 4);
}

/**
 * Iterate the boxes in [start, end) of `buf`. Size 1 means a 64-bit size follows; size 0 means
 * "to the end". Stops at a malformed header rather than throwing: callers report what is missing.
 */
export function* boxes(buf: Buffer, start: number, end: number, options: BoxOptions = {}): Generator<Box> {
  let off = start;
  const limit = Math.min(end, buf.length);
  while (off + 8 <= limit) {
    let size = buf.readUInt32BE(off);
    const type = fourcc(buf, off + 4);
    let body = off + 8;
    if (size === 1) {
      if (off + 16 > limit) return;
      size = Number(buf.readBigUInt64BE(off + 8));
      body = off + 16;
    } else if (size === 0) {
      size = end - off;
    }
    if (size < body - off) return;
    if (options.complete && off + size > end) return;
    yield { type, start: off, body, end: off + size };
    off += size;
  }
}

/** The first child box of `type` inside `parent`, skipping `skip` bytes of the parent's payload (full-box header). */
export function childBox(b: Buffer, parent: Box, type: string, skip = 0): Box | undefined {
  for (const c of boxes(b, parent.body + skip, parent.end, { complete: true })) if (c.type === type) return c;
  return undefined;
}
