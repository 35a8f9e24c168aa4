import Database from "better-sqlite3";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { usePreparedStatements } from "./pg-prepared.js";
import { sqliteDialect } from "./sqlite-driver.js";
import { checkpointOnThread } from "./wal-checkpoints.js";
import { closeSync, fsyncSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { dirname } from "node:path";

export type Engine = "sqlite" | "postgres";

export type AnyDb = Kysely<any>;

export interface Storage {
  engine: Engine;
  db: AnyDb;
  /**
   * Resolves once every write committed before the call is on disk. Handlers' acknowledgements wait
   * for it; concurrent writers share one fsync (group commit). PostgreSQL's commit is already durable.
   */
  durable(since?: number): Promise<void>;
  /** A number that changes whenever a write is made (0 on PostgreSQL, where commits are durable). */
  commitMark(): number;
  close(): Promise<void>;
}

// int8 (bigint) columns hold epoch milliseconds and counters: read them as numbers.
pg.types.setTypeParser(20, (v: string) => Number(v));

export interface StorageOptions {
  /**
   * SQLite: group writes made outside explicit transactions into one transaction every few milliseconds (see `withStatementCache`). For the one process that writes: the server's main process.
   */
  batchWrites?: boolean;
  /** SQLite with batchWrites: the checkpoint thread failed (the connection checkpoints by itself again). */
  onCheckpointFailure?: (e: Error) => void;
}

export function openStorage(url: string, options: StorageOptions = {}): Storage {
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    pool.on("connect", usePreparedStatements);
    const db: AnyDb = new Kysely({ dialect: new PostgresDialect({ pool }) });
    return { engine: "postgres", db, durable: async () => {}, commitMark: () => 0, close: () => db.destroy() };
  }
  const path = url.startsWith("sqlite:") ? url.slice("sqlite:".length) : url;
  if (path !== ":memory:") {
    // Only the server's user may read the database (and SQLite gives its -wal and -shm files the same mode).
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, "a", 0o600));
  }
  const sqlite = new Database(path);
  sqlite.pragma("journal_mode = WAL");
  // NORMAL: a commit writes the WAL without fsync; `durable()` then fsyncs the WAL file off the event
  // loop, once for every commit made so far. So an acknowledged write is on disk (kill -9 and power
  // loss lose nothing acknowledged), and many concurrent writers pay for one fsync between them.
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  // A page cache of 64 MiB (the default is 2 MiB): a fleet of thousands of nodes keeps its hot rows and
  // indexes in memory instead of reading pages back through a system call each.
  sqlite.pragma("cache_size = -65536");
  const commits: Commits = { seq: 0, committed: 0, batch: undefined, lost: [] };
  const db: AnyDb = new Kysely({ dialect: sqliteDialect(withStatementCache(sqlite, commits, options.batchWrites === true)) });
  const group = path === ":memory:" ? { durable: async () => {}, close: async () => {} } : groupCommit(path, commits);
  // The writing process leaves checkpoints to a thread of its own (see wal-checkpoints.ts).
  const checkpoints = options.batchWrites && path !== ":memory:" ? checkpointOnThread(sqlite, path, options.onCheckpointFailure ?? (() => {})) : undefined;
  const durable = async (since?: number) => {
    // Wait for the open batch's commit (a few milliseconds at most) rather than commit it now: the
    // writes of every request and reply handled meanwhile then share one commit.
    if (commits.batch) await commits.batch.committed;
    const target = commits.seq;
    const lost = commits.lost.find((l) => l.to > (since ?? target - 1) && l.from < target);
    if (lost) throw lost.error;
    await group.durable();
  };
  return {
    engine: "sqlite",
    db,
    durable,
    commitMark: () => commits.seq,
    close: async () => {
      await durable();
      await checkpoints?.stop();
      await group.close();
      await db.destroy();
    },
  };
}

/**
 * Write accounting of the one SQLite connection. `seq` counts writes (each write statement outside an
 * explicit transaction, and each explicit COMMIT); `batch` is the implicit transaction that groups
 * writes made outside explicit transactions (see `withStatementCache`); `lost` remembers the writes of
 * a batch SQLite rolled back by itself (an I/O error, a full disk), so `durable()` refuses them.
 */
interface Commits {
  seq: number;
  /** `seq` as of the last commit: the writes an fsync of the log covers. */
  committed: number;
  batch: Batch | undefined;
  lost: { from: number; to: number; error: Error }[];
}

interface Batch {
  /** `seq` before the batch's first write. */
  from: number;
  /** Resolves once the batch committed or was lost. */
  committed: Promise<void>;
  settle(): void;
}

function openBatch(commits: Commits): Batch {
  let settle = () => {};
  const committed = new Promise<void>((resolve) => {
    settle = resolve;
  });
  return { from: commits.seq, committed, settle };
}

/** Commits the implicit write batch, if one is open. */
function commitBatch(sqlite: Database.Database, commits: Commits): void {
  const batch = commits.batch;
  if (!batch) return;
  commits.batch = undefined;
  try {
    if (sqlite.inTransaction) {
      control(sqlite).commit.run();
      commits.committed = commits.seq;
    } else batchLost(commits, batch, new Error("SQLite rolled back a write batch"));
  } catch (e) {
    if (sqlite.inTransaction) control(sqlite).rollback.run();
    batchLost(commits, batch, e as Error);
  } finally {
    batch.settle();
  }
}

const controls = new WeakMap<Database.Database, Record<"begin" | "commit" | "rollback", Database.Statement>>();

/** The connection's own BEGIN / COMMIT / ROLLBACK statements for write batches (prepared once). */
function control(sqlite: Database.Database): Record<"begin" | "commit" | "rollback", Database.Statement> {
  let c = controls.get(sqlite);
  if (!c) {
    c = { begin: sqlite.prepare("begin"), commit: sqlite.prepare("commit"), rollback: sqlite.prepare("rollback") };
    controls.set(sqlite, c);
  }
  return c;
}

function batchLost(commits: Commits, batch: Batch, error: Error): void {
  commits.lost.push({ from: batch.from, to: commits.seq, error });
  if (commits.lost.length > 16) commits.lost.shift();
}

/**
 * Group commit for SQLite in WAL mode: `commits.committed` marks the writes committed so far; a call
 * waits for an fsync of the WAL that started after the commits it must cover. One fsync runs at a time; callers that arrive
 * while it runs share the next one.
 */
function groupCommit(path: string, commits: Commits): { durable(): Promise<void>; close(): Promise<void> } {
  let synced = 0;
  let wal: Promise<FileHandle> | undefined;
  let running: Promise<void> | undefined;
  let waiters: { target: number; resolve: () => void; reject: (e: unknown) => void }[] = [];

  const walFile = () => {
    if (!wal) {
      // The WAL's directory entry must be durable too, once.
      const dir = openSync(dirname(path), "r");
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
      wal = open(`${path}-wal`, "r");
    }
    return wal;
  };

  const run = () => {
    if (running || waiters.length === 0) return;
    const covering = commits.committed;
    running = walFile()
      .then((fh) => fh.datasync())
      .then(
        () => {
          synced = Math.max(synced, covering);
          const still: typeof waiters = [];
          for (const w of waiters) w.target <= synced ? w.resolve() : still.push(w);
          waiters = still;
        },
        (e) => {
          const failed = waiters;
          waiters = [];
          for (const w of failed) w.reject(e);
        },
      )
      .finally(() => {
        running = undefined;
        run();
      });
  };

  return {
    durable() {
      const target = commits.committed;
      if (target <= synced) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiters.push({ target, resolve, reject });
        run();
      });
    },
    async close() {
      const handle = wal;
      wal = undefined;
      if (handle) await (await handle).close();
    },
  };
}

/**
 * Kysely prepares every query afresh; preparing costs more than running a simple query, so keep
 * prepared statements by SQL text. Kysely uses the one connection under a mutex, so a cached
 * statement is never used by two queries at once.
 *
 * Writes made outside an explicit transaction are grouped into one implicit transaction (a batch)
 * that commits BATCH_MS after its first write, or before an explicit transaction begins: in WAL mode
 * every commit appends each page it changed to the log, so a thousand one-row writes cost several
 * times more as a thousand commits than as one. Each such
 * write still succeeds or fails alone (SQLite undoes only the failing statement); what a caller
 * acknowledges waits for `durable()`, which waits for the batch's commit first.
 */
function withStatementCache(sqlite: Database.Database, commits: Commits, batch: boolean) {
  const cache = new Map<string, Database.Statement | WriteStatement>();
  return {
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        const prepared = sqlite.prepare(sql);
        stmt = prepared.reader ? prepared : countingWrites(sqlite, prepared, commits, sql.trim().toLowerCase(), batch);
        if (sqlProfile) stmt = timed(sql, stmt);
        if (cache.size >= 1000) cache.clear();
        cache.set(sql, stmt);
      }
      return stmt;
    },
    close() {
      commitBatch(sqlite, commits);
      cache.clear();
      sqlite.close();
    },
  };
}

/** OPENSSM_SQL_PROFILE=<file>: time spent per SQL text, written to `<file>.<pid>` every 2 s (a diagnostic for slow paths). */
const sqlProfile = process.env.OPENSSM_SQL_PROFILE;
const sqlTimes = new Map<string, { ms: number; calls: number }>();
if (sqlProfile) {
  setInterval(() => {
    const top = [...sqlTimes.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 80);
    writeFileSync(
      `${sqlProfile}.${process.pid}`,
      `SQL profile (top by time):\n${top.map(([q, t]) => `${t.ms.toFixed(0)} ms ${t.calls} calls ${q.slice(0, 300)}`).join("\n")}\n`,
    );
  }, 2_000).unref();
}

function timed<T extends { run: (p: unknown[]) => unknown; all: (p: unknown[]) => unknown; iterate: (p: unknown[]) => unknown; reader: boolean }>(
  sql: string,
  stmt: T,
): T {
  const wrap = (fn: (p: unknown[]) => unknown) => (p: unknown[]) => {
    const t0 = performance.now();
    try {
      return fn(p);
    } finally {
      const t = sqlTimes.get(sql) ?? { ms: 0, calls: 0 };
      t.ms += performance.now() - t0;
      t.calls++;
      sqlTimes.set(sql, t);
    }
  };
  return {
    reader: stmt.reader,
    run: wrap((p) => stmt.run(p)),
    all: wrap((p) => stmt.all(p)),
    iterate: (p: unknown[]) => stmt.iterate(p),
  } as unknown as T;
}

interface WriteStatement {
  reader: false;
  run(parameters: unknown[]): Database.RunResult;
  all(parameters: unknown[]): unknown[];
  iterate(parameters: unknown[]): IterableIterator<unknown>;
}

/**
 * How long a write batch stays open before it commits. Every commit appends each page it changed to the
 * log (a system call a page); under load a few milliseconds gather many writes to the same pages into
 * one. Acknowledgements wait for the commit (then for the fsync, which takes longer anyway).
 */
const BATCH_MS = 4;

/**
 * A writing statement, counted in `commits`. With `batch`, outside an explicit transaction it joins
 * the implicit batch (opening it, and scheduling its commit, when none is open); Kysely's own `begin`
 * first commits the batch.
 */
function countingWrites(sqlite: Database.Database, stmt: Database.Statement, commits: Commits, sql: string, batch: boolean): WriteStatement {
  const explicitBegin = sql === "begin" || sql.startsWith("begin ");
  const explicitEnd = sql === "commit" || sql === "rollback" || sql === "end";
  const before = () => {
    if (explicitBegin) {
      commitBatch(sqlite, commits);
      return;
    }
    if (explicitEnd || commits.batch || sqlite.inTransaction) return;
    if (!batch) return;
    control(sqlite).begin.run();
    commits.batch = openBatch(commits);
    setTimeout(() => commitBatch(sqlite, commits), BATCH_MS);
  };
  const after = <T>(result: T): T => {
    if (commits.batch) commits.seq++;
    else if (!sqlite.inTransaction) {
      // An explicit COMMIT, or a write that committed by itself.
      commits.seq++;
      commits.committed = commits.seq;
    }
    return result;
  };
  const failed = (e: unknown): never => {
    // A statement's failure undoes that statement only; should SQLite have ended the batch itself, say so.
    const batch = commits.batch;
    if (batch && !sqlite.inTransaction) {
      commits.batch = undefined;
      batchLost(commits, batch, e as Error);
      batch.settle();
    }
    throw e;
  };
  const guarded =
    <T>(fn: (parameters: unknown[]) => T) =>
    (parameters: unknown[]): T => {
      before();
      try {
        return after(fn(parameters));
      } catch (e) {
        return failed(e);
      }
    };
  return {
    reader: false,
    run: guarded((parameters) => stmt.run(parameters)),
    all: guarded((parameters) => stmt.all(parameters)),
    iterate: (parameters) => {
      before();
      return stmt.iterate(parameters);
    },
  };
}

/** Narrow the shared database handle to the tables a capability owns. */
export function tables<T>(db: AnyDb): Kysely<T> {
  return db as unknown as Kysely<T>;
}

/** True when the error is a unique-constraint violation on either engine. */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return err?.code === "23505" || err?.code === "SQLITE_CONSTRAINT_PRIMARYKEY" || err?.code === "SQLITE_CONSTRAINT_UNIQUE";
}
