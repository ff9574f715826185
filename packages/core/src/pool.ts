import { Worker, type Transferable } from "node:worker_threads";
import type { ReplyMessage, TaskMessage } from "./pool-worker.js";

/**
 * Run `fn` over `items` with at most `concurrency` in flight, in order of arrival; results and
 * failures are collected per item, never aborting the run. Works over async iterables so the
 * caller can page through the catalog instead of loading everything.
 */
export async function forEachLimit<T>(
  items: AsyncIterable<T> | Iterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let firstFatal: unknown;
  for await (const item of items as AsyncIterable<T>) {
    if (signal?.aborted || firstFatal !== undefined) break;
    const p: Promise<void> = fn(item)
      .catch((err) => {
        firstFatal ??= err;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= Math.max(1, concurrency)) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (firstFatal !== undefined) throw firstFatal;
}

/**
 * Why a job got no answer from its worker: the closed set of ways a pool worker stops.
 * crashed: the thread threw or ran out of memory; exited: it ended without answering;
 * aborted: the caller's signal fired; closed: the pool was closed first.
 */
export type WorkerFailure = "crashed" | "exited" | "aborted" | "closed";

/** A job the pool could not run to an answer. A worker at fault has been replaced already. */
export class WorkerError extends Error {
  readonly code: "E_ABORTED" | "E_WORKER";
  readonly reason: WorkerFailure;
  constructor(reason: WorkerFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WorkerError";
    this.reason = reason;
    this.code = reason === "aborted" ? "E_ABORTED" : "E_WORKER";
  }
}

/** Per-job options: buffers to move to the worker instead of copying, and a signal to give up. */
export interface RunOptions {
  transfer?: readonly Transferable[];
  signal?: AbortSignal;
}

interface Job<I, O> {
  msg: TaskMessage<I>;
  transfer: readonly Transferable[];
  resolve: (value: O) => void;
  reject: (err: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

interface Slot<I, O> {
  worker: Worker;
  job: Job<I, O> | null;
  /** The error the thread died of, when it threw. */
  error: Error | null;
  /** Terminated on purpose (retired, aborted job, pool closed): its exit fails nothing. */
  retiring: boolean;
}

/**
 * The built worker script `name` (a tsup entry of core): next to dist/index.js once built; when
 * this file runs from source (tests), from the package's dist folder, so build core first.
 */
export function workerScript(name: string): URL {
  const built = import.meta.url.endsWith(".js");
  return new URL(built ? `./${name}.js` : `../dist/${name}.js`, import.meta.url);
}

/**
 * A fixed number of worker threads running one script (see `serveTasks`), fed from a queue. A
 * job always settles: with the worker's value, its task error, or a `WorkerError` saying why the
 * worker could not answer (the worker is then replaced, and the queue goes on). Workers start on
 * demand and are unref'd while idle, so an open pool never keeps Node alive. `close()` in finally.
 */
export class WorkerPool<I, O> {
  private readonly slots: Slot<I, O>[] = [];
  private readonly queue: Job<I, O>[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly script: URL,
    private readonly threads: number,
    private readonly workerData?: unknown,
  ) {
    this.threads = Math.max(1, Math.floor(threads));
  }

  /** The most threads this pool runs at once: callers keep about twice this many jobs in flight. */
  get size(): number {
    return this.threads;
  }

  /**
   * Start every thread now rather than on the first jobs, so their startup (loading the script
   * and its modules) overlaps the caller's own preparation.
   */
  start(): void {
    while (!this.closed && this.slots.length < this.threads) this.spawn();
  }

  /** Run one task on the next free worker. */
  run(task: I, options: RunOptions = {}): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      if (this.closed) return reject(new WorkerError("closed", "the worker pool is closed"));
      const { signal } = options;
      if (signal?.aborted) return reject(new WorkerError("aborted", "aborted before it started"));
      const job: Job<I, O> = {
        msg: { id: this.nextId++, task },
        transfer: options.transfer ?? [],
        resolve,
        reject,
        signal,
        onAbort: () => this.abort(job),
      };
      signal?.addEventListener("abort", job.onAbort, { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  /** Fail every queued and running job with "closed" and terminate every worker. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.settle(job, new WorkerError("closed", "the worker pool was closed"));
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      slot.retiring = true;
      if (slot.job) this.settle(slot.job, new WorkerError("closed", "the worker pool was closed while this job ran"));
      slot.job = null;
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.job && !s.retiring);
      if (!slot && this.slots.length < this.threads) {
        try {
          slot = this.spawn();
        } catch (err) {
          this.settle(this.queue.shift()!, new WorkerError("crashed", `worker could not start: ${String(err)}`, { cause: err }));
          continue;
        }
      }
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage(job.msg, job.transfer as Transferable[]);
    }
  }

  private spawn(): Slot<I, O> {
    const worker = new Worker(this.script, { workerData: this.workerData });
    const slot: Slot<I, O> = { worker, job: null, error: null, retiring: false };
    worker.on("message", (m: ReplyMessage<O>) => this.onReply(slot, m));
    worker.on("error", (err) => (slot.error = err));
    worker.on("exit", (code) => this.onExit(slot, code));
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private onReply(slot: Slot<I, O>, m: ReplyMessage<O>): void {
    const job = slot.job;
    if (!job || job.msg.id !== m.id) return; // the answer to a job already aborted
    slot.job = null;
    if (m.ok) this.settle(job, null, m.value);
    else this.settle(job, Object.assign(new Error(m.message), m.code === undefined ? {} : { code: m.code }));
    if (m.ok && m.retire) this.retire(slot);
    this.pump();
    if (!slot.job) slot.worker.unref(); // idle: never what keeps the process alive
  }

  private onExit(slot: Slot<I, O>, code: number): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    const job = slot.job;
    slot.job = null;
    if (job && !slot.retiring) {
      const err = slot.error
        ? new WorkerError("crashed", `worker crashed: ${slot.error.message}`, { cause: slot.error })
        : new WorkerError("exited", `worker exited with code ${code} before answering`);
      this.settle(job, err);
    }
    if (!this.closed) this.pump();
  }

  /** Stop a worker on purpose; its replacement starts when the queue needs one. */
  private retire(slot: Slot<I, O>): void {
    slot.retiring = true;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    void slot.worker.terminate();
  }

  private abort(job: Job<I, O>): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) this.queue.splice(queued, 1);
    const slot = this.slots.find((s) => s.job === job);
    if (slot) {
      // the only way to stop synchronous work in a thread is to end the thread
      slot.job = null;
      this.retire(slot);
    }
    this.settle(job, new WorkerError("aborted", "aborted"));
    this.pump();
  }

  private settle(job: Job<I, O>, err: Error | null, value?: O): void {
    job.signal?.removeEventListener("abort", job.onAbort);
    if (err) job.reject(err);
    else job.resolve(value as O);
  }
}
