import { resolve } from "node:path";
import type { OnEvent, ProgressEvent, Workspace } from "@archive/core";
import { ArchiveError, findWorkspaceRoot, openWorkspace } from "@archive/core";
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

export function makeContext(opts: GlobalOptions, signal: AbortSignal): Context {
  const progress = new ProgressRenderer(process.stderr, { enabled: !opts.quiet && process.stderr.isTTY === true });
  return {
    opts,
    signal,
    out: (t) => process.stdout.write(t.endsWith("\n") ? t : t + "\n"),
    err: (t) => process.stderr.write(t.endsWith("\n") ? t : t + "\n"),
    onEvent: (e: ProgressEvent) => progress.handle(e),
    progress,
  };
}

/** The workspace a command works on: -C DIR, else found by walking up from the current folder. */
export function workspaceFor(ctx: Context, options: { create?: boolean } = {}): Workspace {
  if (ctx.opts.dir) return openWorkspace(resolve(ctx.opts.cwd, ctx.opts.dir), options);
  const found = findWorkspaceRoot(ctx.opts.cwd);
  if (found) return openWorkspace(found, options);
  if (options.create) return openWorkspace(ctx.opts.cwd, options);
  throw new ArchiveError(
    "E_NO_WORKSPACE",
    `no archive workspace here or above ${ctx.opts.cwd}: run \`archive plan SOURCE\` in the destination folder, or pass -C DIR`,
  );
}
