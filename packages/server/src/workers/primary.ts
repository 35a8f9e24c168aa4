import cluster, { type Worker } from "node:cluster";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import type { ServerConfig } from "../config.js";
import type { AuditLog } from "../events/audit.js";
import type { MainProcess } from "./forward.js";
import { type FromWorker, isMessage, type ToWorker } from "./messages.js";

export interface ApiWorkers {
  /** The public port the workers share. */
  port: number;
  pids(): number[];
  stop(): Promise<void>;
}

/** A worker that keeps dying is not restarted more than this often (a broken install would spin). */
const RESTARTS_PER_MINUTE = 10;
const START_TIMEOUT_MS = 60_000;

const entry = new URL(`./worker-main${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);

/**
 * Starts `config.apiWorkers` worker processes on the public host and port, hands them the
 * configuration and the way back to this process, writes the audit records they send, and
 * replaces a worker that dies.
 */
export async function startApiWorkers(config: ServerConfig, main: MainProcess, accountId: string, audit: AuditLog, log: Logger): Promise<ApiWorkers> {
  cluster.setupPrimary({ exec: fileURLToPath(entry), args: [], silent: false });
  const workers = new Set<Worker>();
  let stopping = false;
  let port: number;
  const restarts: number[] = [];

  const fork = (): Promise<number> => {
    const worker = cluster.fork({ OPENSSM_API_WORKER: "1" });
    workers.add(worker);
    // Every worker asks for the configured port, 0 included: Node's cluster shares one listening
    // socket among workers that ask for the same address and port (with 0, the one it picked).
    const start: ToWorker = { openssm: "start", config, main, accountId };
    let listening = false;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`API worker ${worker.process.pid} did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      worker.on("message", (m) => {
        if (!isMessage<FromWorker>(m)) return;
        if (m.openssm === "audit") for (const r of m.records) audit.record(r);
        else if (m.openssm === "ready") worker.send(start);
        else if (m.openssm === "listening") {
          listening = true;
          clearTimeout(timer);
          resolve(m.port);
        } else if (m.openssm === "failed") {
          clearTimeout(timer);
          reject(new Error(`API worker ${worker.process.pid} could not start: ${m.message}`));
        }
      });
      worker.once("exit", (code, signal) => {
        clearTimeout(timer);
        workers.delete(worker);
        reject(new Error(`API worker ${worker.process.pid} exited (${signal ?? code}) before it listened`));
        // A worker that never listened is a start-up failure, reported above, not restarted.
        if (stopping || !listening) return;
        const now = Date.now();
        while (restarts.length && restarts[0] < now - 60_000) restarts.shift();
        if (restarts.length >= RESTARTS_PER_MINUTE) {
          log.error({ pid: worker.process.pid, code, signal }, "an API worker died and has been restarted too often; not restarting it");
          return;
        }
        restarts.push(now);
        log.warn({ pid: worker.process.pid, code, signal }, "an API worker died; starting another");
        fork().catch((err) => log.error({ err }, "could not replace an API worker"));
      });
    });
  };

  try {
    const ports = await Promise.all(Array.from({ length: config.apiWorkers }, () => fork()));
    port = ports[0];
  } catch (e) {
    stopping = true;
    for (const w of workers) w.process.kill("SIGKILL");
    throw e;
  }
  log.info({ workers: config.apiWorkers, port }, "API workers listening");

  return {
    port,
    pids: () => [...workers].map((w) => w.process.pid ?? 0),
    async stop() {
      stopping = true;
      await Promise.all(
        [...workers].map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              const kill = setTimeout(() => w.process.kill("SIGKILL"), 10_000);
              w.once("exit", () => {
                clearTimeout(kill);
                resolve();
              });
              const stop: ToWorker = { openssm: "stop" };
              if (w.isConnected()) w.send(stop);
              else w.process.kill("SIGTERM");
            }),
        ),
      );
    },
  };
}
