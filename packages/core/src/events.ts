/** Progress events libraries emit; the CLI renders them as a progress bar on a terminal (stderr) and nothing otherwise; `--json` prints only the final result. */
export type ProgressEvent =
  | { kind: "stage"; stage: string; total?: number }
  | { kind: "progress"; stage: string; done: number; total?: number; bytes?: number; failed?: number }
  | { kind: "file"; stage: string; path: string; status: "ok" | "skipped" | "failed" | "warning"; reason?: string }
  | { kind: "note"; message: string };

export type OnEvent = (e: ProgressEvent) => void;

/** A no-op listener, so libraries can always call `onEvent`. */
export const noEvents: OnEvent = () => {};

/** Throttle progress events to at most one per `ms`, always passing other kinds through. */
export function throttleProgress(onEvent: OnEvent, ms = 200): OnEvent {
  let last = 0;
  return (e) => {
    if (e.kind === "progress") {
      const now = Date.now();
      if (now - last < ms && e.done !== e.total) return;
      last = now;
    }
    onEvent(e);
  };
}
