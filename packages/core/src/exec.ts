import { spawn } from "node:child_process";
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
}

const running = new Set<import("node:child_process").ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Children never outlive us: kill them synchronously when the process exits.
  process.on("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}

/**
 * Run an external tool with an argument array (never a shell string), a timeout
 * (SIGTERM, then SIGKILL after 2 s) and an abort signal.
 */
export function execTool(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  for (const a of args) {
    if (a.includes("\0")) throw new ArchiveError("E_UNSAFE_PATH", `refusing an argument with a NUL byte for ${command}`);
  }
  installExitHook();
  const maxBuffer = options.maxBuffer ?? 16 * 1024 * 1024;
  const startedAt = Date.now();
  return new Promise<ExecResult>((resolvePromise, reject) => {
    if (!toolExists(command)) {
      reject(new ArchiveError("E_TOOL_MISSING", `${command} was not found`));
      return;
    }
    const started = dieWithParent(command, args);
    const child = spawn(started.command, started.args, {
      shell: false,
      detached: false,
      cwd: options.cwd,
      env: { ...process.env, LANG: "C", LC_ALL: "C" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    noteChild(child.pid, command);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const terminate = () => {
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), 2000);
      killTimer.unref();
    };
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          terminate();
        }, options.timeoutMs)
      : undefined;
    const onAbort = () => terminate();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", (d: Buffer) => {
      if (outLen < maxBuffer) out.push(d);
      outLen += d.length;
    });
    child.stderr.on("data", (d: Buffer) => {
      if (errLen < maxBuffer) err.push(d);
      errLen += d.length;
    });
    child.on("error", (e) => {
      running.delete(child);
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      const code = (e as NodeJS.ErrnoException).code;
      reject(
        code === "ENOENT"
          ? new ArchiveError("E_TOOL_MISSING", `${command} was not found`, { cause: e })
          : new ArchiveError("E_TOOL_FAILED", `${command} could not start: ${e.message}`, { cause: e }),
      );
    });
    child.on("close", (exitCode, signal) => {
      running.delete(child);
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener("abort", onAbort);
      const result: ExecResult = {
        command,
        args,
        exitCode,
        signal,
        timedOut,
        durationMs: Date.now() - startedAt,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      };
      if (options.signal?.aborted) {
        reject(new ArchiveError("E_ABORTED", `${command} was stopped`));
      } else if (timedOut) {
        reject(new ArchiveError("E_TIMEOUT", `${command} timed out after ${options.timeoutMs} ms`));
      } else if ((options.check ?? true) && exitCode !== 0) {
        const firstLine = result.stderr.trim().split("\n").slice(-3).join(" | ") || `exit code ${exitCode ?? signal}`;
        reject(Object.assign(new ArchiveError("E_TOOL_FAILED", `${command}: ${firstLine}`), { result }));
      } else {
        resolvePromise(result);
      }
    });
  });
}
