import { resolve } from "node:path";
import type { OnEvent, ProgressEvent, Workspace } from "@archive/core";
import { ArchiveError, checkNewWorkspace, findWorkspaceRoot, openWorkspace } from "@archive/core";
import { ProgressRenderer } from "./render.js";

/** Global options every command understands, normalised once. */
export interface GlobalOptions {
  cwd: string;
  /** -C DIR: the workspace (destination) folder. */
  dir: string | undefined;
  json: boolean;
  quiet: boolean;
  color: boolean;
}

/** What a command gets: options, output helpers, and cancellation. */
export interface Context {
  opts: GlobalOptions;
  signal: AbortSignal;
  out(text: string): void;
  err(text: string): void;
  /** Progress events -> a bar on a TTY (stderr), nothing otherwise. */
  onEvent: OnEvent;
  progress: ProgressRenderer;
}

/** Writes text to a stream (the CLI's writer drops output once the reader has gone: EPIPE). */
export type Writer = (stream: NodeJS.WriteStream, text: string) => void;

/** The context a command runs in; `write` defaults to plain stream writes. */
export function makeContext(opts: GlobalOptions, signal: AbortSignal, write: Writer = (s, t) => void s.write(t)): Context {
  const progress = new ProgressRenderer(process.stderr, { enabled: !opts.quiet && process.stderr.isTTY === true });
  return {
    opts,
    signal,
    out: (t) => write(process.stdout, t.endsWith("\n") ? t : t + "\n"),
    err: (t) => write(process.stderr, t.endsWith("\n") ? t : t + "\n"),
    onEvent: (e: ProgressEvent) => progress.handle(e),
    progress,
  };
}

/**
 * The workspace a command works on: -C DIR, else found by walking up from the current folder.
 * `create` (plan only): the destination is -C DIR or the current folder itself, never a parent,
 * and every refusal (`checkNewWorkspace`) happens before anything is written.
 * `readOnly: "auto"` (verify): a workspace that is not writable is opened without writing.
 */
export function workspaceFor(
  ctx: Context,
  options: { create?: boolean; sources?: readonly string[]; readOnly?: boolean | "auto" } = {},
): Workspace {
  if (options.create) {
    const dest = resolve(ctx.opts.cwd, ctx.opts.dir ?? ".");
    checkNewWorkspace(dest, options.sources ?? []);
    return openWorkspace(dest, { create: true });
  }
  const open = { readOnly: options.readOnly ?? false };
  if (ctx.opts.dir) return openWorkspace(resolve(ctx.opts.cwd, ctx.opts.dir), open);
  const found = findWorkspaceRoot(ctx.opts.cwd);
  if (found) return openWorkspace(found, open);
  throw new ArchiveError(
    "E_NO_WORKSPACE",
    `no archive workspace here or above ${ctx.opts.cwd}: run \`archive plan SOURCE\` in the destination folder, or pass -C DIR`,
  );
}
