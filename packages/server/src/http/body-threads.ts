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
const RESTART_PAUSE_MS = 10_000;

/**
 * An operation's preparation of its validated input: a pure function, exported by a module a body
 * thread can import. The dispatcher applies it to every call of the operation (on a body thread for a
 * large body, in process otherwise), so the handler always sees prepared input and nothing a caller
 * sends can pass for prepared.
 */
export interface OffThread {
  /** The module's URL. */
  module: string;
  export: string;
  prepare(input: unknown): unknown;
}

/** The OffThread of `prepare`, exported by the module `name` beside the caller's (`import.meta.url`). */
export function offThread<I>(callerUrl: string, name: string, prepare: (input: I) => I): OffThread {
  return { module: moduleBeside(callerUrl, name), export: prepare.name, prepare: prepare as (input: unknown) => unknown };
}

export interface BodyJob {
  id: number;
  model: "ssm" | "kms" | "openssm";
  operation: string;
  /** Where the thread finds the operation's preparation (OffThread without the function itself). */
  module: string;
  export: string;
  body: Uint8Array;
}

export type BodyResult =
  | { id: number; sha256: string; input: unknown }
  | { id: number; sha256: string; refused: { code: string; message: string; status?: number; fields?: Record<string, unknown> } }
  | { id: number; sha256: string; failed: string };

/** The URL of a module beside the caller's, with the caller's extension (.ts when run from source). */
function moduleBeside(callerUrl: string, name: string): string {
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
  private diedAt = Number.NEGATIVE_INFINITY;
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

  private pick(): Thread | undefined {
    // A thread that died is replaced, but not more often than every RESTART_PAUSE_MS (a broken install
    // would otherwise start a thread for every large body): meanwhile the dispatcher handles bodies itself.
    if (this.threads.length < this.size && performance.now() - this.diedAt >= RESTART_PAUSE_MS) {
      try {
        this.threads.push(this.start());
      } catch {
        this.diedAt = performance.now();
      }
    }
    if (this.threads.length === 0) return undefined;
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
      if (!this.threads.includes(thread)) return;
      this.diedAt = performance.now();
      this.threads = this.threads.filter((t) => t !== thread);
      for (const done of thread.jobs.values()) done(undefined);
      thread.jobs.clear();
    };
    worker.on("error", gone);
    worker.on("exit", gone);
    return thread;
  }
}
