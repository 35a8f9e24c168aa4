import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/**
 * Large request bodies are parsed off the event loop.
 *
 * A PutInventory of 1,500 applications is 300 KB of JSON: hashing it for SigV4, parsing it, checking it
 * against the model and turning its entries into the record we store take some 3 ms of the one thread
 * that serves every node's traffic. An operation that declares `offThread` has bodies of OFF_THREAD_BYTES
 * or more handled on a body thread instead: the thread returns the payload hash, and either the model's
 * refusal or the input as the operation's preparation left it (small: the entries become one text).
 * The dispatcher authenticates with that hash and goes on as for any request.
 *
 * Should a thread fail (or the pool be unavailable), the dispatcher handles the body itself.
 */
export const OFF_THREAD_BYTES = 64 * 1024;

/** An operation's preparation: a function exported by a module a body thread can import. */
export interface OffThread {
  /** The module's URL (`moduleBeside(import.meta.url, "content")`). */
  module: string;
  export: string;
}

export interface BodyJob {
  id: number;
  model: "ssm" | "kms" | "openssm";
  operation: string;
  module: string;
  export: string;
  body: Uint8Array;
}

export type BodyResult =
  | { id: number; sha256: string; input: unknown }
  | { id: number; sha256: string; refused: { code: string; message: string } }
  | { id: number; sha256: string; failed: string };

/** The URL of a module beside the caller's, with the caller's extension (.ts when run from source). */
export function moduleBeside(callerUrl: string, name: string): string {
  return new URL(`./${name}${callerUrl.endsWith(".ts") ? ".ts" : ".js"}`, callerUrl).href;
}

const entry = moduleBeside(import.meta.url, "body-thread");
/**
 * A thread does not inherit the loader that runs the server's TypeScript from source: it registers
 * tsx itself before it imports its entry module.
 */
const BOOT = `
const { workerData } = require("node:worker_threads");
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((e) => { setImmediate(() => { throw e; }); });
`;
const tsx = entry.endsWith(".ts") ? import.meta.resolve("tsx/esm/api") : undefined;

interface Thread {
  worker: Worker;
  jobs: Map<number, (r: BodyResult | undefined) => void>;
}

/** The body threads: one fewer than the CPUs (at least one, at most four), started when first needed. */
export class BodyThreads {
  private threads: Thread[] = [];
  private nextId = 1;
  private readonly size = Math.max(1, Math.min(4, availableParallelism() - 1));

  /** The thread's result, or undefined when no thread could handle it (the caller handles the body itself). */
  run(job: Omit<BodyJob, "id">): Promise<BodyResult | undefined> {
    const thread = this.pick();
    if (!thread) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise((resolve) => {
      thread.jobs.set(id, resolve);
      // The body is copied to the thread (the request keeps its own for the audit record).
      thread.worker.postMessage({ ...job, id });
    });
  }

  /** Stops the threads; jobs still running are answered with undefined. */
  async close(): Promise<void> {
    const threads = this.threads;
    this.threads = [];
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private pick(): Thread | undefined {
    if (this.threads.length < this.size) {
      try {
        this.threads.push(this.start());
      } catch {
        if (this.threads.length === 0) return undefined;
      }
    }
    return this.threads.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
  }

  private start(): Thread {
    const worker = new Worker(BOOT, { eval: true, workerData: { entry, tsx } });
    worker.unref();
    const thread: Thread = { worker, jobs: new Map() };
    worker.on("message", (r: BodyResult) => {
      const done = thread.jobs.get(r.id);
      thread.jobs.delete(r.id);
      done?.(r);
    });
    const gone = () => {
      this.threads = this.threads.filter((t) => t !== thread);
      for (const done of thread.jobs.values()) done(undefined);
      thread.jobs.clear();
    };
    worker.on("error", gone);
    worker.on("exit", gone);
    return thread;
  }
}
