import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { WorkerError, WorkerPool, workerScript } from "./pool.js";

// A worker speaking the pool's protocol (see pool-worker.ts) whose tasks misbehave on request,
// the ways a real decoder or reader can: throw inside the thread, exit, hang, or fail the task.
const SCRIPT = `
import { parentPort, threadId } from "node:worker_threads";
parentPort.on("message", ({ id, task }) => {
  if (task.kind === "crash") setImmediate(() => { throw new Error("boom in the thread"); });
  else if (task.kind === "exit") process.exit(3);
  else if (task.kind === "hang") for (;;);
  else if (task.kind === "fail") parentPort.postMessage({ id, ok: false, message: "bad input", code: "EBADINPUT" });
  else {
    const bytes = task.bytes ? new Uint8Array(task.bytes) : null;
    const value = { threadId, sum: bytes ? bytes.reduce((a, b) => a + b, 0) : 0 };
    parentPort.postMessage({ id, ok: true, value, retire: task.kind === "retire" });
  }
});
`;

type Task = { kind: "echo" | "crash" | "exit" | "hang" | "fail" | "retire"; bytes?: ArrayBuffer };
type Reply = { threadId: number; sum: number };

const dir = mkdtempSync(join(tmpdir(), "archive-pool-"));
const script = pathToFileURL(join(dir, "worker.mjs"));
writeFileSync(script, SCRIPT);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function failure(p: Promise<unknown>): Promise<WorkerError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkerError);
  return err as WorkerError;
}

describe("WorkerPool", () => {
  it("a crashing worker fails its own job with a reason, and the pool keeps working", async () => {
    const pool = new WorkerPool<Task, Reply>(script, 1);
    try {
      const first = await pool.run({ kind: "echo" });
      const [crash, after] = await Promise.all([failure(pool.run({ kind: "crash" })), pool.run({ kind: "echo" })]);
      expect(crash.reason).toBe("crashed");
      expect(crash.message).toMatch(/boom in the thread/);
      // the job queued behind the crash ran on a new thread
      expect(after.threadId).not.toBe(first.threadId);
      const exited = await failure(pool.run({ kind: "exit" }));
      expect(exited.reason).toBe("exited");
      expect(exited.message).toMatch(/code 3/);
      expect((await pool.run({ kind: "echo" })).sum).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it("a task's own error fails only that task; the same thread answers the next", async () => {
    const pool = new WorkerPool<Task, Reply>(script, 1);
    try {
      const a = await pool.run({ kind: "echo" });
      const err = await pool.run({ kind: "fail" }).then(() => null, (e: Error & { code?: string }) => e);
      expect(err).not.toBeInstanceOf(WorkerError);
      expect(err).toMatchObject({ message: "bad input", code: "EBADINPUT" });
      expect((await pool.run({ kind: "echo" })).threadId).toBe(a.threadId);
    } finally {
      await pool.close();
    }
  });

  it("moves transferred buffers instead of copying them, and a retiring worker is replaced", async () => {
    const pool = new WorkerPool<Task, Reply>(script, 2);
    try {
      const bytes = new Uint8Array([1, 2, 3, 250]).buffer;
      const r = await pool.run({ kind: "retire", bytes }, { transfer: [bytes] });
      expect(r.sum).toBe(256);
      expect(bytes.byteLength).toBe(0); // detached: it moved to the worker
      const results = await Promise.all([1, 2, 3, 4].map(() => pool.run({ kind: "echo" })));
      expect(results.map((x) => x.threadId)).not.toContain(r.threadId);
    } finally {
      await pool.close();
    }
  });

  it("an abort stops a hung job and the queue behind it still runs; close fails what is left", async () => {
    const pool = new WorkerPool<Task, Reply>(script, 1);
    const ac = new AbortController();
    const hung = failure(pool.run({ kind: "hang" }, { signal: ac.signal }));
    const queued = pool.run({ kind: "echo" });
    setTimeout(() => ac.abort(), 50);
    expect((await hung).reason).toBe("aborted");
    expect((await hung).code).toBe("E_ABORTED");
    expect((await queued).sum).toBe(0);
    const stuck = failure(pool.run({ kind: "hang" }));
    const behind = failure(pool.run({ kind: "echo" }));
    await new Promise((r) => setTimeout(r, 50));
    await pool.close();
    expect((await stuck).reason).toBe("closed");
    expect((await behind).reason).toBe("closed");
    expect((await failure(pool.run({ kind: "echo" }))).reason).toBe("closed");
  });

  it("a script that cannot load fails each job with a reason instead of hanging", async () => {
    const pool = new WorkerPool<Task, Reply>(pathToFileURL(join(dir, "missing.mjs")), 1);
    try {
      const err = await failure(pool.run({ kind: "echo" }));
      expect(["crashed", "exited"]).toContain(err.reason);
      expect((await failure(pool.run({ kind: "echo" }))).message).toMatch(/missing\.mjs|Cannot find|crashed/);
    } finally {
      await pool.close();
    }
  });

  it("idle workers never keep Node alive: a process that forgets close() still exits", () => {
    // the built pool (dist), as every package uses it
    const dist = workerScript("index").href;
    const code = `import { WorkerPool } from ${JSON.stringify(dist)};
      const pool = new WorkerPool(new URL(${JSON.stringify(script.href)}), 2);
      const r = await pool.run({ kind: "echo" });
      console.log("answered", typeof r.threadId);`;
    const main = join(dir, "forgets-close.mjs");
    writeFileSync(main, code);
    const run = spawnSync(process.execPath, [main], { encoding: "utf8", timeout: 30_000 });
    expect(run.stdout).toContain("answered number");
    expect(run.signal).toBeNull(); // not killed by the timeout
    expect(run.status).toBe(0);
  });
});
