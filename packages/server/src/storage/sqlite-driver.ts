import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  SelectQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from "kysely";

/** What the driver needs of a better-sqlite3 handle (the statement cache in database.ts provides it). */
export interface SqliteStatements {
  prepare(sql: string): {
    reader: boolean;
    all(parameters: readonly unknown[]): unknown[];
    run(parameters: readonly unknown[]): { changes: number; lastInsertRowid: number | bigint };
    iterate(parameters: readonly unknown[]): IterableIterator<unknown>;
  };
  close(): void;
}

/**
 * Kysely's dialect for the one better-sqlite3 connection, with our own driver:
 *
 * - The connection is handed out in arrival order (a FIFO lock). Kysely's own SQLite driver wakes every
 *   waiter at each release and lets them race for it again, which costs O(waiters) per query: with
 *   10,000 control channels all waiting at once, most of the server's time went to that.
 * - better-sqlite3 answers synchronously, so a long run of queries (a command handed to 10,000 nodes,
 *   their replies) would never yield to the event loop: no socket read, websocket pings unanswered,
 *   agents dropping their channels. A query waits for one turn of the event loop once queries have
 *   held it for BREATH_MS.
 */
export function sqliteDialect(statements: SqliteStatements): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new FifoSqliteDriver(statements),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
}

/** How long work made only of SQLite queries may hold the event loop before it lets I/O in. */
const BREATH_MS = 10;
let lastBreath = performance.now();

/** Lets timers and I/O run (one turn of the event loop) when queries have run back to back for BREATH_MS. */
async function breathe(): Promise<void> {
  if (performance.now() - lastBreath < BREATH_MS) return;
  await new Promise((resolve) => setImmediate(resolve));
  lastBreath = performance.now();
}

/** A lock handed to its waiters one at a time, in the order they asked. */
class FifoLock {
  private held = false;
  private waiters: (() => void)[] = [];
  private head = 0;

  acquire(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    if (this.head < this.waiters.length) {
      const next = this.waiters[this.head++];
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters = this.waiters.slice(this.head);
        this.head = 0;
      }
      next();
    } else {
      this.waiters = [];
      this.head = 0;
      this.held = false;
    }
  }
}

class SqliteConnection implements DatabaseConnection {
  constructor(private readonly statements: SqliteStatements) {}

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    await breathe();
    const stmt = this.statements.prepare(q.sql);
    if (stmt.reader) return { rows: stmt.all(q.parameters) as R[] };
    const { changes, lastInsertRowid } = stmt.run(q.parameters);
    return {
      numAffectedRows: changes === undefined || changes === null ? undefined : BigInt(changes),
      insertId: lastInsertRowid === undefined || lastInsertRowid === null ? undefined : BigInt(lastInsertRowid),
      rows: [],
    };
  }

  async *streamQuery<R>(q: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(q.query)) throw new Error("the SQLite driver streams select queries only");
    for (const row of this.statements.prepare(q.sql).iterate(q.parameters)) yield { rows: [row as R] };
  }
}

class FifoSqliteDriver implements Driver {
  private readonly lock = new FifoLock();
  private readonly connection: SqliteConnection;

  constructor(private readonly statements: SqliteStatements) {
    this.connection = new SqliteConnection(statements);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.lock.acquire();
    return this.connection;
  }

  async beginTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw("begin"));
  }

  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw("commit"));
  }

  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw("rollback"));
  }

  async releaseConnection(): Promise<void> {
    this.lock.release();
  }

  async destroy(): Promise<void> {
    this.statements.close();
  }
}
