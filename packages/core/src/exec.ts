import { spawn, type ChildProcess, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { ArchiveError } from "./errors.js";
import { dieWithParent, noteChild } from "./children.js";
import { toolExists } from "./which.js";

/** What one external command did: data, not a thrown string. */
export interface ExecResult {
  command: string;
  args: readonly string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  cwd?: string;
  /** Keep at most this many bytes of stdout/stderr each (default 16 MiB). */
  maxBuffer?: number;
  /** Throw unless the exit code is 0 (default true). */
  check?: boolean;
  /** Every chunk of stdout as it arrives (progress from a tool that prints a line per file). */
  onStdout?: (chunk: Buffer) => void;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Children never outlive us: kill them synchronously when the process exits.
  process.on("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}

/** Keeps at most `max` bytes of a stream (the rest is counted, not kept). */
function capped(max: number): { push(d: Buffer): void; text(): string } {
  const parts: Buffer[] = [];
  let len = 0;
  return {
    push(d) {
      if (len < max) parts.push(d);
      len += d.length;
    },
    text: () => Buffer.concat(parts).toString("utf8"),
  };
}

/** How a finished run is judged: an abort, a timeout and (with `check`) a non-zero exit reject. */
function settle(result: ExecResult, options: ExecOptions): ArchiveError | null {
  const { command, exitCode, signal } = result;
  if (options.signal?.aborted) return new ArchiveError("E_ABORTED", `${command} was stopped`);
  if (result.timedOut) return new ArchiveError("E_TIMEOUT", `${command} timed out after ${options.timeoutMs} ms`);
  if ((options.check ?? true) && exitCode !== 0) {
    const firstLine = result.stderr.trim().split("\n").slice(-3).join(" | ") || `exit code ${exitCode ?? signal}`;
    return Object.assign(new ArchiveError("E_TOOL_FAILED", `${command}: ${firstLine}`), { result });
  }
  return null;
}

/** Start a tool that dies with us, tracked for the exit hook and the child log; stdin piped only when asked. */
function spawnTool(command: string, args: readonly string[], options: Pick<ExecOptions, "cwd">): ChildProcessByStdio<null, Readable, Readable>;
function spawnTool(command: string, args: readonly string[], options: Pick<ExecOptions, "cwd">, stdin: "pipe"): ChildProcessByStdio<Writable, Readable, Readable>;
function spawnTool(command: string, args: readonly string[], options: Pick<ExecOptions, "cwd">, stdin: "ignore" | "pipe" = "ignore"): ChildProcess {
  const started = dieWithParent(command, args);
  const child = spawn(started.command, started.args, {
    shell: false,
    detached: false,
    cwd: options.cwd,
    env: { ...process.env, LANG: "C", LC_ALL: "C" },
    stdio: [stdin, "pipe", "pipe"],
  });
  running.add(child);
  noteChild(child.pid, command);
  return child;
}

/**
 * Run an external tool with an argument array (never a shell string), a timeout
 * (SIGTERM, then SIGKILL after 2 s) and an abort signal. The tool dies with this process.
 */
export function execTool(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  for (const a of args) {
    if (a.includes("\0")) throw new ArchiveError("E_UNSAFE_PATH", `refusing an argument with a NUL byte for ${command}`);
  }
  installExitHook();
  const startedAt = Date.now();
  return new Promise<ExecResult>((resolvePromise, reject) => {
    if (!toolExists(command)) {
      reject(new ArchiveError("E_TOOL_MISSING", `${command} was not found`));
      return;
    }
    const child = spawnTool(command, args, options);
    const out = capped(options.maxBuffer ?? 16 * 1024 * 1024);
    const err = capped(options.maxBuffer ?? 16 * 1024 * 1024);
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const terminate = () => {
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), 2000);
      killTimer.unref();
    };
    const timer = options.timeoutMs ? setTimeout(() => ((timedOut = true), terminate()), options.timeoutMs) : undefined;
    options.signal?.addEventListener("abort", terminate, { once: true });
    const done = () => {
      running.delete(child);
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener("abort", terminate);
    };
    child.stdout.on("data", (d: Buffer) => {
      out.push(d);
      options.onStdout?.(d);
    });
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", (e) => {
      done();
      const code = (e as NodeJS.ErrnoException).code;
      reject(
        code === "ENOENT"
          ? new ArchiveError("E_TOOL_MISSING", `${command} was not found`, { cause: e })
          : new ArchiveError("E_TOOL_FAILED", `${command} could not start: ${e.message}`, { cause: e }),
      );
    });
    child.on("close", (exitCode, signal) => {
      done();
      const durationMs = Date.now() - startedAt;
      const result: ExecResult = { command, args, exitCode, signal, timedOut, durationMs, stdout: out.text(), stderr: err.text() };
      const failure = settle(result, options);
      if (failure) reject(failure);
      else resolvePromise(result);
    });
  });
}

/**
 * Run a tool as a filter on bytes: `input` on its stdin, its whole stdout returned (at most
 * `maxOutput` bytes, else it is stopped and this rejects; that much is allocated up front). Same rules as `execTool`: an argument
 * array, a timeout, dies with this process; a non-zero exit rejects with its last stderr lines.
 */
export function execFilter(command: string, args: readonly string[], input: Buffer, options: { timeoutMs?: number; maxOutput: number }): Promise<Buffer> {
  installExitHook();
  return new Promise<Buffer>((resolvePromise, reject) => {
    const child = spawnTool(command, args, {}, "pipe");
    // the output goes straight into one buffer of the size allowed (no list of chunks to join)
    const out = Buffer.allocUnsafeSlow(options.maxOutput);
    let len = 0;
    const err = capped(64 * 1024);
    let failure: string | null = null;
    const timer = options.timeoutMs ? setTimeout(() => ((failure = `timed out after ${options.timeoutMs} ms`), child.kill("SIGKILL")), options.timeoutMs) : undefined;
    child.stdout.on("data", (d: Buffer) => {
      if (len + d.length > options.maxOutput) {
        failure ??= `more than ${options.maxOutput} bytes of output`;
        child.kill("SIGKILL");
        return;
      }
      d.copy(out, len);
      len += d.length;
    });
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.stdin.on("error", () => {}); // a tool that exits early closes its stdin: the exit code says why
    child.on("error", (e) => {
      running.delete(child);
      if (timer) clearTimeout(timer);
      reject(new ArchiveError((e as NodeJS.ErrnoException).code === "ENOENT" ? "E_TOOL_MISSING" : "E_TOOL_FAILED", `${command}: ${e.message}`, { cause: e }));
    });
    child.on("close", (code, signal) => {
      running.delete(child);
      if (timer) clearTimeout(timer);
      if (failure || code !== 0) {
        const why = failure ?? (err.text().trim().split("\n").slice(-3).join(" | ") || `exit code ${code ?? signal}`);
        reject(new ArchiveError("E_TOOL_FAILED", `${command}: ${why}`));
      } else resolvePromise(len === out.length ? out : out.subarray(0, len));
    });
    child.stdin.end(input);
  });
}
