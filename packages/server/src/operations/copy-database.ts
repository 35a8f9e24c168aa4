import Database from "better-sqlite3";
import pg from "pg";
import { verifyMasterKey } from "../iam/principals.js";
import { openStorage } from "../storage/database.js";
import { migrate } from "../storage/migrations.js";
import { MIGRATION_TABLES, serverMigrations } from "./schema.js";
import { OperationError, sqliteInUse, sqlitePath } from "./sqlite-files.js";

export interface CopyProgress {
  table: string;
  copied: number;
  total: number;
}

export interface CopyReport {
  tables: { name: string; rows: number }[];
  rows: number;
  ms: number;
  /** True when the master key opened a sealed secret read back from the target. */
  secretsOpen: boolean;
}

export interface CopyOptions {
  /** The SQLite install: `sqlite:<file>` or a file path. */
  source: string;
  /** `postgres://...` */
  target: string;
  /** Empty the target's tables first instead of refusing a target that holds rows. */
  force?: boolean;
  /** The install's master key: checked against a secret read back from the target. */
  masterKey: Buffer;
  onProgress?(p: CopyProgress): void;
}

interface TargetColumn {
  name: string;
  type: string;
  serial: boolean;
}

/**
 * Copies every table of a stopped SQLite install into PostgreSQL: runs the server's migrations on the
 * target, then copies each table found in the source (none is listed by hand) in one transaction, row
 * values as they are (sealed secrets stay ciphertext under the same master key), and checks the row
 * count of every table and that the master key opens a secret read back from the target.
 */
export async function copySqliteToPostgres(opts: CopyOptions): Promise<CopyReport> {
  const started = Date.now();
  if (!/^postgres(ql)?:\/\//.test(opts.target)) throw new OperationError(`--to must be a PostgreSQL URL (postgres://user@host:5432/db); got '${opts.target}'`);
  const path = sqlitePath(opts.source);
  if (!path) throw new OperationError(`the install to move must be on SQLite; its database is ${opts.source}`);
  if (sqliteInUse(path)) {
    throw new OperationError(`${path} is open in another process (a running openssm server?): stop the server first, so that no write is left behind`);
  }

  const src = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const expected = Object.keys(serverMigrations("postgres")).sort();
    const ran = hasTable(src, "kysely_migration") ? (src.prepare("select name from kysely_migration").all() as { name: string }[]).map((r) => r.name) : [];
    const missing = expected.filter((m) => !ran.includes(m));
    const unknown = ran.filter((m) => !expected.includes(m));
    if (unknown.length) {
      throw new OperationError(`${path} was written by a newer openssm (migrations ${unknown.slice(0, 3).join(", ")}...): run migrate with that version`);
    }
    if (missing.length) {
      throw new OperationError(
        `${path} lacks ${missing.length} migration(s) of this openssm (${missing.slice(0, 3).join(", ")}...): start this version's server on it once (it migrates at start), stop it, then migrate`,
      );
    }

    // The target's schema: the server's own migrations, run as the server would.
    const storage = openStorage(opts.target);
    try {
      await migrate(storage.db, serverMigrations("postgres"));
    } catch (e) {
      throw new OperationError(`cannot prepare ${redact(opts.target)}: ${(e as Error).message}`);
    } finally {
      await storage.close();
    }

    const client = new pg.Client({ connectionString: opts.target });
    await client.connect();
    try {
      const targetTables = await targetSchema(client);
      const tables = (src.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").all() as { name: string }[])
        .map((r) => r.name)
        .filter((t) => !MIGRATION_TABLES.has(t));
      for (const t of tables) {
        const columns = targetTables.get(t);
        if (!columns) throw new OperationError(`table ${t} of ${path} has no counterpart in the target after its migrations`);
        for (const c of sourceColumns(src, t)) {
          if (!columns.has(c)) throw new OperationError(`column ${t}.${c} of ${path} has no counterpart in the target after its migrations`);
        }
      }

      const occupied: string[] = [];
      for (const t of targetTables.keys()) {
        if (MIGRATION_TABLES.has(t)) continue;
        const { rows } = await client.query(`select exists (select 1 from ${ident(t)}) as any`);
        if (rows[0].any) occupied.push(t);
      }
      if (occupied.length && !opts.force) {
        throw new OperationError(
          `${redact(opts.target)} already holds data (tables ${occupied.slice(0, 5).join(", ")}${occupied.length > 5 ? ", ..." : ""}): give an empty database, or --force to replace what it holds`,
        );
      }

      // One snapshot of the source for the copy and the counts.
      src.exec("BEGIN");
      const counts = new Map<string, number>();
      for (const t of tables) counts.set(t, (src.prepare(`select count(*) as n from ${ident(t)}`).get() as { n: number }).n);

      await client.query("BEGIN");
      try {
        if (occupied.length) await client.query(`TRUNCATE ${occupied.map(ident).join(", ")}`);
        for (const t of tables) await copyTable(src, client, t, targetTables.get(t) as Map<string, TargetColumn>, counts.get(t) ?? 0, opts.onProgress);
        for (const [t, columns] of targetTables) {
          for (const c of columns.values()) {
            if (!c.serial) continue;
            await client.query(`select setval(pg_get_serial_sequence($1, $2), coalesce((select max(${ident(c.name)}) from ${ident(t)}), 0) + 1, false)`, [
              t,
              c.name,
            ]);
          }
        }
        await client.query("COMMIT");
      } catch (e) {
        await client.query("ROLLBACK").catch(() => {});
        throw e;
      }
      src.exec("COMMIT");

      const report: CopyReport = { tables: [], rows: 0, ms: 0, secretsOpen: false };
      for (const t of tables) {
        const { rows } = await client.query(`select count(*)::int as n from ${ident(t)}`);
        const want = counts.get(t) ?? 0;
        if (rows[0].n !== want) throw new OperationError(`table ${t}: ${want} rows in the source, ${rows[0].n} in the target after the copy`);
        report.tables.push({ name: t, rows: want });
        report.rows += want;
      }
      const check = openStorage(opts.target);
      try {
        report.secretsOpen = await verifyMasterKey(check.db, opts.masterKey);
      } finally {
        await check.close();
      }
      if (!report.secretsOpen) throw new OperationError("the master key does not open the secrets copied to the target: the copy is not usable with this key");
      report.ms = Date.now() - started;
      return report;
    } finally {
      await client.end();
    }
  } finally {
    if (src.inTransaction) src.exec("ROLLBACK");
    src.close();
  }
}

async function copyTable(
  src: Database.Database,
  client: pg.Client,
  table: string,
  target: Map<string, TargetColumn>,
  total: number,
  onProgress?: (p: CopyProgress) => void,
): Promise<void> {
  const names = sourceColumns(src, table);
  const types = names.map((n) => (target.get(n) as TargetColumn).type);
  // PostgreSQL takes at most 65535 parameters in one statement.
  const perBatch = Math.max(1, Math.min(1000, Math.floor(60_000 / Math.max(1, names.length))));
  const head = `insert into ${ident(table)} (${names.map(ident).join(", ")}) values `;
  const stmt = src
    .prepare(`select ${names.map(ident).join(", ")} from ${ident(table)}`)
    .raw(true)
    .safeIntegers(true);
  let batch: unknown[][] = [];
  let copied = 0;
  const flush = async () => {
    if (!batch.length) return;
    const params: unknown[] = [];
    const tuples = batch.map((row) => `(${row.map((v, i) => `$${params.push(convert(v, types[i]))}`).join(", ")})`);
    await client.query(head + tuples.join(", "), params);
    copied += batch.length;
    batch = [];
    onProgress?.({ table, copied, total });
  };
  for (const row of stmt.iterate() as Iterable<unknown[]>) {
    batch.push(row);
    if (batch.length >= perBatch) await flush();
  }
  await flush();
  if (total === 0) onProgress?.({ table, copied: 0, total: 0 });
}

/** A SQLite value as the target column's type wants it (the values themselves are not changed). */
function convert(v: unknown, type: string): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return v.toString();
  if (type === "bytea" && typeof v === "string") return Buffer.from(v, "utf8");
  if ((type === "text" || type === "character varying") && Buffer.isBuffer(v)) return v.toString("utf8");
  return v;
}

async function targetSchema(client: pg.Client): Promise<Map<string, Map<string, TargetColumn>>> {
  const { rows } = await client.query(
    `select c.table_name, c.column_name, c.data_type, c.column_default
       from information_schema.columns c
       join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'`,
  );
  const out = new Map<string, Map<string, TargetColumn>>();
  for (const r of rows as { table_name: string; column_name: string; data_type: string; column_default: string | null }[]) {
    let cols = out.get(r.table_name);
    if (!cols) out.set(r.table_name, (cols = new Map()));
    cols.set(r.column_name, { name: r.column_name, type: r.data_type, serial: r.column_default?.startsWith("nextval(") ?? false });
  }
  return out;
}

function sourceColumns(src: Database.Database, table: string): string[] {
  return (src.prepare("select name from pragma_table_info(?)").all(table) as { name: string }[]).map((r) => r.name);
}

function hasTable(src: Database.Database, name: string): boolean {
  return src.prepare("select 1 from sqlite_master where type = 'table' and name = ?").get(name) !== undefined;
}

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@");
}
