// Child processes never outlive the archive process, even when it is killed with SIGKILL (what the
// OOM killer does), where no exit handler runs. On Linux every tool is started through util-linux
// `setpriv --pdeathsig KILL`, so the kernel kills it when its parent dies. Elsewhere (and as a
// second line on Linux) each child's pid is recorded beside the workspace lock, and the next run
// that takes over a dead owner's lock kills what is still running from that list.
import { appendFileSync, existsSync, readFileSync, unlinkSync } from "node:fs";
import { toolExists, which } from "./which.js";

let setprivPath: string | null | undefined;

function findSetpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  const usable = process.platform === "linux" && process.env.ARCHIVE_NO_PDEATHSIG !== "1";
  setprivPath = usable ? (which("setpriv") ?? (toolExists("/usr/bin/setpriv") ? "/usr/bin/setpriv" : null)) : null;
  return setprivPath;
}

/**
 * The command and arguments that start `command` so that it dies with this process: unchanged
 * where no parent-death mechanism exists. `setpriv` execs the tool, so the pid is the tool's.
 */
export function dieWithParent(command: string, args: readonly string[]): { command: string; args: string[] } {
  const setpriv = findSetpriv();
  if (!setpriv) return { command, args: [...args] };
  return { command: setpriv, args: ["--pdeathsig", "KILL", "--", command, ...args] };
}

let childLog: string | null = null;

/** Record every child's pid in `file` (beside the workspace lock) until `stopChildLog`. */
export function startChildLog(file: string): void {
  childLog = file;
}

export function stopChildLog(file: string): void {
  if (childLog !== file) return;
  childLog = null;
  try {
    unlinkSync(file);
  } catch {
    // never written or already gone
  }
}

/** Note a started child (pid and the tool's name) in the current workspace's child log. */
export function noteChild(pid: number | undefined, command: string): void {
  if (!childLog || !pid) return;
  try {
    appendFileSync(childLog, `${pid} ${command.split(/[\\/]/).pop() ?? command}\n`);
  } catch {
    // the log is a second line of defence; a read-only or full disk must not fail the tool
  }
}

function commandOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return null;
  }
}

/**
 * Kill what a dead owner's child log lists and is still running as that tool (a pid is only
 * killed when its command line still names the tool, so a reused pid is left alone). Returns
 * the pids killed.
 */
export function reapChildren(file: string): number[] {
  if (!existsSync(file)) return [];
  const killed: number[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const [pidText, name] = line.split(" ");
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 1 || !name || pid === process.pid) continue;
    const cmd = commandOf(pid);
    if (cmd === null || !cmd.includes(name)) continue;
    try {
      process.kill(pid, "SIGKILL");
      killed.push(pid);
    } catch {
      // gone already, or not ours to kill
    }
  }
  try {
    unlinkSync(file);
  } catch {
    // raced with another reaper
  }
  return killed;
}
