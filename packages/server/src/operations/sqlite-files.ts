import Database from "better-sqlite3";
import { chmodSync, closeSync, copyFileSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { Kysely, SqliteDialect } from "kysely";
import { verifyMasterKey } from "../iam/principals.js";

/** A refusal or failure the operator can act on (the CLI prints its message, no stack). */
export class OperationError extends Error {}

/** The file of a `sqlite:<file>` URL (or a bare path); undefined for PostgreSQL. */
export function sqlitePath(url: string): string | undefined {
  if (/^postgres(ql)?:\/\//.test(url)) return undefined;
  return url.startsWith("sqlite:") ? url.slice("sqlite:".length) : url;
}

/**
 * True when another process has the SQLite database open (a running server holds it from start to
 * stop). Leaving WAL mode needs every other connection gone, so the attempt, with no wait, tells:
 * SQLITE_BUSY means someone has it open. When nobody does, the database is left in rollback-journal
 * mode with its WAL checkpointed into the file (the server sets WAL again when it starts).
 */
export function sqliteInUse(path: string): boolean {
  if (!existsSync(path)) return false;
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 0");
    db.pragma("journal_mode = DELETE");
    return false;
  } catch (e) {
    if ((e as { code?: string }).code === "SQLITE_BUSY" || (e as { code?: string }).code === "SQLITE_LOCKED") return true;
    throw e;
  } finally {
    db.close();
  }
}

export interface BackupProgress {
  copiedPages: number;
  totalPages: number;
}

/**
 * SQLite's online backup of the live database into `to` (mode 0600), safe while the server runs:
 * written beside the destination, checked (quick_check), then renamed into place.
 */
export async function backupSqlite(path: string, to: string, onProgress?: (p: BackupProgress) => void): Promise<{ bytes: number; ms: number }> {
  const started = Date.now();
  if (!existsSync(path)) throw new OperationError(`no database at ${path}: check --data-dir / --database-url`);
  const tmp = `${to}.${process.pid}.partial`;
  closeSync(openSync(tmp, "w", 0o600));
  const src = new Database(path, { fileMustExist: true });
  try {
    src.pragma("busy_timeout = 5000");
    let complete = false;
    const done = await src.backup(tmp, {
      progress: ({ totalPages, remainingPages }) => {
        complete = remainingPages === 0;
        onProgress?.({ copiedPages: totalPages - remainingPages, totalPages });
        return 1000;
      },
    });
    // A database copied in one step reports no progress on the way.
    if (!complete) onProgress?.({ copiedPages: done.totalPages, totalPages: done.totalPages });
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new OperationError(`the backup of ${path} failed: ${(e as Error).message}`);
  } finally {
    src.close();
  }
  const problem = checkFile(tmp);
  if (problem) {
    rmSync(tmp, { force: true });
    throw new OperationError(`the backup written to ${tmp} is damaged (${problem}); nothing was kept`);
  }
  chmodSync(tmp, 0o600);
  syncFile(tmp);
  renameSync(tmp, to);
  syncFile(dirname(to));
  return { bytes: statSync(to).size, ms: Date.now() - started };
}

/** `quick_check` of a file that should be an openssm SQLite database; the problem, or undefined. */
function checkFile(file: string): string | undefined {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    return (e as Error).message;
  }
  try {
    const check = db.pragma("quick_check", { simple: true });
    if (check !== "ok") return `quick_check: ${check}`;
    const migrations = db.prepare("select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'").get();
    if (!migrations) return "it is not an openssm database (no kysely_migration table)";
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    db.close();
  }
}

/**
 * Puts a backup in place of the database of a stopped server. Refuses while any process has the
 * database open, a backup that is not an intact openssm database, and one whose secrets the master
 * key does not open. The database it replaces is kept beside it (`<file>.before-restore-<time>`).
 */
export async function restoreSqlite(backup: string, path: string, masterKey: Buffer): Promise<{ previous?: string }> {
  if (!existsSync(backup)) throw new OperationError(`no backup at ${backup}`);
  const problem = checkFile(backup);
  if (problem) throw new OperationError(`${backup} cannot be restored: ${problem}`);
  const probe = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(backup, { readonly: true }) }) });
  try {
    if (!(await verifyMasterKey(probe, masterKey))) {
      throw new OperationError(
        `the master key does not open the secrets in ${backup}: restore with the key of the server that made it (OPENSSM_MASTER_KEY or its data dir's master.key)`,
      );
    }
  } finally {
    await probe.destroy();
  }
  if (sqliteInUse(path)) {
    throw new OperationError(`${path} is open in another process (a running openssm server?): stop the server, then restore`);
  }
  const tmp = `${path}.${process.pid}.restoring`;
  copyFileSync(backup, tmp);
  chmodSync(tmp, 0o600);
  syncFile(tmp);
  let previous: string | undefined;
  if (existsSync(path)) {
    previous = `${path}.before-restore-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    renameSync(path, previous);
  }
  // The replaced database's WAL must not be applied to the restored one.
  rmSync(`${path}-wal`, { force: true });
  rmSync(`${path}-shm`, { force: true });
  rmSync(`${path}-journal`, { force: true });
  renameSync(tmp, path);
  syncFile(dirname(path));
  return { previous };
}

function syncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
