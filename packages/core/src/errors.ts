/** Stable error codes: the CLI maps them to messages and exit codes. */
export type ErrorCode =
  | "E_USAGE"
  | "E_NO_WORKSPACE"
  | "E_SOURCE_MISSING"
  | "E_DEST_INSIDE_SOURCE"
  | "E_SOURCE_INSIDE_DEST"
  | "E_NESTED_WORKSPACE"
  | "E_DEST_NOT_EMPTY"
  | "E_READ_ONLY"
  | "E_LOCKED"
  | "E_TOOL_MISSING"
  | "E_TOOL_FAILED"
  | "E_TIMEOUT"
  | "E_ABORTED"
  | "E_UNSAFE_PATH"
  | "E_DISK_FULL"
  | "E_WRITE"
  | "E_DECODE"
  | "E_CATALOG";

/** The one error type libraries throw; `code` is stable, `message` is for people. */
export class ArchiveError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ArchiveError";
    this.code = code;
  }
}

/** A short, one-line reason for an unknown thrown value, for per-file reports. */
export function reasonOf(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const msg = err.message.split("\n").find((l) => l.trim() !== "") ?? err.message;
    return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
  }
  return String(err);
}

/** Map file-system errors on the destination to stable codes (disk full, read-only, ...). */
export function writeError(err: unknown, path: string): ArchiveError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC" || code === "EDQUOT")
    return new ArchiveError("E_DISK_FULL", `destination is full while writing ${path}`, { cause: err });
  if (code === "EROFS" || code === "EACCES" || code === "EPERM")
    return new ArchiveError("E_WRITE", `destination is not writable (${code}) at ${path}`, { cause: err });
  return new ArchiveError("E_WRITE", `cannot write ${path}: ${reasonOf(err)}`, { cause: err });
}

/** A full disk, however it surfaced: errno, SQLite, or an encoder's message. */
export function isDiskFull(err: unknown): boolean {
  if (err instanceof ArchiveError) return err.code === "E_DISK_FULL";
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === "ENOSPC" || code === "EDQUOT" || code === "SQLITE_FULL") return true;
  return /no space left on device|database or disk is full|disk quota exceeded|out of disk space/i.test(err instanceof Error ? err.message : String(err));
}

/** True for errors that stop a whole run (the destination is unusable), not just one file. */
export function isFatalWriteError(err: unknown): boolean {
  return err instanceof ArchiveError && (err.code === "E_DISK_FULL" || err.code === "E_WRITE");
}
