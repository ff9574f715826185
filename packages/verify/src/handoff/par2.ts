// The system par2 (par2cmdline), run as a child process with argument arrays. We never implement
// Reed-Solomon ourselves: par2 writes and uses the recovery data, we decide what goes in a set.
import { ArchiveError, execTool, type ExecResult } from "@archive/core";

/** The par2 binary: $ARCHIVE_PAR2, else `par2` on PATH. */
const par2Bin = () => process.env.ARCHIVE_PAR2 ?? "par2";

/**
 * A block size for a set: about 2,000 data blocks whatever the set's size, par2's own default
 * (it allows 32,768), at least 4 KiB and a multiple of 4 as PAR2 requires. Every file adds at most
 * one partial block, so a set of at most 1,000 files stays far below the limit. More blocks cost
 * time in proportion (bytes x recovery blocks): 4,000 blocks measured 4x the CPU of 250 here.
 */
export function blockSizeFor(bytes: number): number {
  const raw = Math.max(4096, Math.ceil(bytes / 2000));
  return Math.ceil(raw / 4) * 4;
}

/**
 * `par2 create`: recovery data for `files` (absolute paths under `base`) at `par2File`, with
 * `redundancy` percent recovery blocks in one recovery file.
 */
export async function par2Create(
  par2File: string,
  base: string,
  files: readonly string[],
  opts: { redundancy: number; blockSize: number; signal?: AbortSignal },
): Promise<ExecResult> {
  const args = ["create", "-q", "-q", `-r${opts.redundancy}`, `-s${opts.blockSize}`, "-n1", `-B${base}`, "--", par2File, ...files];
  return execTool(par2Bin(), args, { ...(opts.signal ? { signal: opts.signal } : {}) });
}

/** `par2 repair` of one set (files found through the set's own names under `base`); never purges anything. */
export async function par2Repair(par2File: string, base: string, signal?: AbortSignal): Promise<{ ok: boolean; output: string }> {
  const r = await execTool(par2Bin(), ["repair", `-B${base}`, "--", par2File], { check: false, ...(signal ? { signal } : {}) });
  if (r.exitCode === null) throw new ArchiveError("E_TOOL_FAILED", `par2 repair was stopped by ${r.signal}`);
  return { ok: r.exitCode === 0, output: `${r.stdout}\n${r.stderr}` };
}

/** The last lines par2 printed that say why a repair failed. */
export function par2Reason(output: string): string {
  const lines = output.split("\n").map((l) => l.trim()).filter((l) => /repair|need|missing|damaged|not possible|error/i.test(l) && !/^Target:/.test(l));
  return lines.slice(-2).join(" ") || "par2 repair failed";
}
