import { parentPort, type Transferable } from "node:worker_threads";

/** A job as posted to a pool worker. */
export interface TaskMessage<I> {
  id: number;
  task: I;
}

/** A worker's answer: a value (with buffers to transfer), or the task's own failure. */
export type ReplyMessage<O> =
  | { id: number; ok: true; value: O; retire: boolean }
  | { id: number; ok: false; message: string; code: string | undefined };

/** What a task handler returns: the value, buffers to move rather than copy, and whether to retire the worker. */
export interface TaskResult<O> {
  value: O;
  transfer?: readonly Transferable[];
  /** True when this worker should be replaced after the reply (e.g. a wasm heap that only grows). */
  retire?: boolean;
}

/**
 * The worker side of `WorkerPool`: call once at the top of a worker script. A handler's thrown
 * error fails only its task (the worker stays); anything that kills the thread is the pool's to
 * report.
 */
export function serveTasks<I, O>(handler: (task: I) => TaskResult<O> | Promise<TaskResult<O>>): void {
  const port = parentPort;
  if (!port) throw new Error("serveTasks runs only inside a worker thread");
  port.on("message", async ({ id, task }: TaskMessage<I>) => {
    let reply: ReplyMessage<O>;
    let transfer: readonly Transferable[] = [];
    try {
      const r = await handler(task);
      reply = { id, ok: true, value: r.value, retire: r.retire ?? false };
      transfer = r.transfer ?? [];
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      reply = { id, ok: false, message: err instanceof Error ? err.message : String(err), code: typeof code === "string" ? code : undefined };
    }
    port.postMessage(reply, transfer as Transferable[]);
  });
}
