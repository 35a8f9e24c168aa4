import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { loadDatabaseCopy, loadMasterKey, loadOperations, resolveConfig, type ServerConfig, type ServerConfigFile } from "@openssm/server";
import { CliError } from "./errors.js";

/** `--config FILE` (or OPENSSM_CONFIG): the server's configuration file, under flags and environment. */
export async function applyServerConfigFile(path: string | undefined): Promise<ServerConfigFile | undefined> {
  const ops = await loadOperations();
  const file = path ?? process.env[ops.CONFIG_ENV];
  if (!file) return undefined;
  const read = ops.readConfigFile(resolve(file));
  ops.applyConfigFile(read);
  return read;
}

interface Flags {
  config?: string;
  dataDir?: string;
  databaseUrl?: string;
}

async function configOf(o: Flags): Promise<ServerConfig> {
  const file = await applyServerConfigFile(o.config);
  if (file?.problems.length) throw new CliError(`${file.problems.join("\n")}\n(openssm server --check-config says what else is wrong)`);
  return resolveConfig({ dataDir: o.dataDir, databaseUrl: o.databaseUrl });
}

/** The install's master key; never generates one (a new key would open nothing). */
function existingMasterKey(config: ServerConfig): Buffer {
  const file = join(config.dataDir, "master.key");
  if (!config.masterKey && !existsSync(file)) {
    throw new CliError(`no master key: set OPENSSM_MASTER_KEY to the server's key, or pass the server's --data-dir (which holds master.key)`);
  }
  return loadMasterKey(config.dataDir, config.masterKey);
}

function storageOptions(cmd: Command): Command {
  return cmd
    .option("--config <file>", "the server's configuration file (OPENSSM_CONFIG), e.g. /etc/openssm/server.yaml")
    .option("--data-dir <dir>", "the server's data directory (OPENSSM_DATA_DIR, default ./.openssm)")
    .option("--database-url <url>", "sqlite:<file> or postgres://... (OPENSSM_DATABASE_URL, default sqlite:<data dir>/openssm.db)");
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export function registerOperationsCommands(program: Command): void {
  storageOptions(
    program
      .command("backup")
      .description("copy the server's SQLite database to a file, while it runs (SQLite's online backup)")
      .requiredOption("--to <file>", "the backup file to write (mode 0600)"),
  ).action(async (o: Flags & { to: string }) => {
    const config = await configOf(o);
    const ops = await loadOperations();
    const path = ops.sqlitePath(config.databaseUrl);
    if (!path) {
      throw new CliError(
        [
          "this server keeps its data in PostgreSQL: back it up with PostgreSQL's own tools, which copy a live database consistently:",
          "  pg_dump --format=custom --file=openssm.dump 'postgres://user@host:5432/openssm'",
          "and restore into an empty database, with every openssm server stopped:",
          "  pg_restore --clean --if-exists --no-owner --dbname='postgres://user@host:5432/openssm' openssm.dump",
          "Keep the master key (OPENSSM_MASTER_KEY or <data dir>/master.key) apart from the dump: the secrets in it are sealed under that key.",
        ].join("\n"),
      );
    }
    const to = resolve(o.to);
    let shown = -1;
    const result = await ops
      .backupSqlite(path, to, ({ copiedPages, totalPages }) => {
        const pct = totalPages ? Math.floor((copiedPages * 100) / totalPages) : 100;
        if (pct >= shown + 10 || pct === 100) {
          shown = pct;
          process.stderr.write(`backup: ${pct}% (${copiedPages}/${totalPages} pages)\n`);
        }
      })
      .catch(rethrow(ops.OperationError));
    process.stdout.write(`backed up ${path} to ${to} (${mib(result.bytes)}, ${result.ms} ms)\n`);
    process.stdout.write(
      `the secrets in it are sealed under the master key, which is not in the backup: keep ${config.masterKey ? "OPENSSM_MASTER_KEY" : join(config.dataDir, "master.key")} safe, apart from it\n`,
    );
  });

  storageOptions(
    program
      .command("restore")
      .description("put a backup in place of the server's SQLite database (the server must be stopped)")
      .requiredOption("--from <file>", "a file written by openssm backup"),
  ).action(async (o: Flags & { from: string }) => {
    const config = await configOf(o);
    const ops = await loadOperations();
    const path = ops.sqlitePath(config.databaseUrl);
    if (!path) {
      throw new CliError(
        "this server keeps its data in PostgreSQL: stop every openssm server, then restore a pg_dump with\n  pg_restore --clean --if-exists --no-owner --dbname='postgres://...' openssm.dump",
      );
    }
    const key = existingMasterKey(config);
    const result = await ops.restoreSqlite(resolve(o.from), path, key).catch(rethrow(ops.OperationError));
    process.stdout.write(`restored ${resolve(o.from)} to ${path}\n`);
    if (result.previous) process.stdout.write(`the database it replaced is kept as ${result.previous}\n`);
  });

  storageOptions(
    program
      .command("migrate")
      .description("copy a stopped SQLite install (every table, secrets still sealed) into an empty PostgreSQL database")
      .requiredOption("--to <url>", "postgres://user@host:5432/db (the server's migrations run there first)")
      .option("--force", "replace whatever the target database already holds"),
  ).action(async (o: Flags & { to: string; force?: boolean }) => {
    const config = await configOf(o);
    const ops = await loadOperations();
    const key = existingMasterKey(config);
    const copy = await loadDatabaseCopy();
    let last = "";
    let lastAt = 0;
    const report = await copy
      .copySqliteToPostgres({
        source: config.databaseUrl,
        target: o.to,
        force: o.force,
        masterKey: key,
        onProgress: ({ table, copied, total }) => {
          const now = Date.now();
          // A line per table, and every second during a long one.
          if (table !== last || copied === total || now - lastAt >= 1000) {
            process.stderr.write(`migrate: ${table} ${copied}/${total}\n`);
            last = table;
            lastAt = now;
          }
        },
      })
      .catch(rethrow(ops.OperationError));
    for (const t of report.tables) process.stdout.write(`${t.name}\t${t.rows}\n`);
    process.stdout.write(
      `copied ${report.rows} rows in ${report.tables.length} tables in ${report.ms} ms; every table's count matches; the master key opens the copied secrets\n`,
    );
    process.stdout.write(
      `start the server on it with the same master key: openssm server --database-url '${o.to.replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@")}' ${config.masterKey ? "(OPENSSM_MASTER_KEY as now)" : `--data-dir ${config.dataDir}`}\n`,
    );
  });
}

/** An operator's error (refusal, bad input) is printed as a message; anything else keeps its stack. */
function rethrow(kind: new (...args: never[]) => Error) {
  return (e: unknown): never => {
    if (e instanceof kind) throw new CliError((e as Error).message);
    throw e;
  };
}
