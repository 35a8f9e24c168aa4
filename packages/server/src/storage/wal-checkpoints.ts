import type Database from "better-sqlite3";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * WAL checkpoints on a thread of their own.
 *
 * In WAL mode SQLite copies the log back into the database file ("checkpoints") inside the COMMIT
 * that pushes the log past 1,000 pages, and with synchronous = NORMAL it fsyncs both files as it
 * does. On the server's one connection that COMMIT runs on the event loop: measured here, a commit of
 * a 300 KB row took 339 µs with automatic checkpoints and 112 µs without. So the writing connection
 * turns them off, and a second connection on a worker thread checkpoints every CHECKPOINT_MS with
 * PASSIVE (it copies what no reader still needs and never waits for a lock). SQLite lets one
 * connection write while another checkpoints; once a checkpoint has copied the whole log, the next
 * write starts the log over from its beginning, as before.
 *
 * Should the thread fail, the connection checkpoints by itself again (the log must not grow forever).
 */
const CHECKPOINT_MS = 50;
/** SQLite's own default: checkpoint at COMMIT once the log holds this many pages. */
const AUTOMATIC_PAGES = 1000;

/** The thread's code (plain JavaScript, so it runs whatever loader the server was started with). */
const THREAD = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma("busy_timeout = 0");
const checkpoint = () => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch (e) {
    if (e && e.code !== "SQLITE_BUSY" && e.code !== "SQLITE_LOCKED") throw e;
  }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on("message", (m) => {
  if (m !== "stop") return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.postMessage("stopped");
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Stops the thread after a last checkpoint; the connection checkpoints by itself again. */
  stop(): Promise<void>;
}

export function checkpointOnThread(sqlite: Database.Database, path: string, onFailure: (e: Error) => void): Checkpointer {
  sqlite.pragma("wal_autocheckpoint = 0");
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: { path, driver: createRequire(import.meta.url).resolve("better-sqlite3"), everyMs: CHECKPOINT_MS },
  });
  worker.unref();
  let running = true;
  const fallBack = () => {
    if (!running) return;
    running = false;
    if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${AUTOMATIC_PAGES}`);
  };
  worker.once("error", (e) => {
    fallBack();
    onFailure(e);
  });
  worker.once("exit", fallBack);
  return {
    async stop() {
      if (!running) return;
      const stopped = new Promise<void>((resolve) => {
        worker.once("message", () => resolve());
        worker.once("exit", () => resolve());
      });
      worker.postMessage("stop");
      await stopped;
      fallBack();
    },
  };
}
