import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import {
  type AnyDb,
  type Engine,
  auditMigrations,
  eventMigrations,
  iam,
  iamMigrations,
  loadMasterKey,
  migrate,
  openStorage,
  resolveConfig,
  type ServerConfig,
} from "./core.js";
import { CliError } from "./errors.js";

/** The flags that say where the server's storage is, the same as `openssm server`'s. */
export interface StorageFlags {
  dataDir?: string;
  databaseUrl?: string;
}

export function withStorageOptions(cmd: Command): Command {
  return cmd
    .option("--data-dir <dir>", "the server's data directory (OPENSSM_DATA_DIR, default ./.openssm)")
    .option("--database-url <url>", "sqlite:<file> or postgres://... (OPENSSM_DATABASE_URL, default sqlite:<data dir>/openssm.db)");
}

export interface CliStorage {
  engine: Engine;
  db: AnyDb;
  config: ServerConfig;
  /** The master key, checked against the secrets already sealed in the database. */
  masterKey(): Promise<Buffer>;
  close(): Promise<void>;
}

/**
 * Opens the server's storage directly, so the command works whether or not a server is running.
 * Creates the tables it uses when the database is new (the server adds the rest when it starts).
 */
export async function openCliStorage(flags: StorageFlags): Promise<CliStorage> {
  const config = resolveConfig({ dataDir: flags.dataDir, databaseUrl: flags.databaseUrl });
  const storage = openStorage(config.databaseUrl);
  try {
    await migrateOwnTables(storage.db, storage.engine);
  } catch (e) {
    await storage.close();
    throw new CliError(`cannot open the database ${redactUrl(config.databaseUrl)}: ${(e as Error).message}`);
  }
  let key: Buffer | undefined;
  return {
    engine: storage.engine,
    db: storage.db,
    config,
    async masterKey() {
      if (key) return key;
      const file = join(config.dataDir, "master.key");
      const sealed = await storage.db.selectFrom("iam_access_keys").select("access_key_id").limit(1).executeTakeFirst();
      if (!config.masterKey && !existsSync(file) && sealed) {
        throw new CliError(`no master key: set OPENSSM_MASTER_KEY to the server's key, or pass the server's --data-dir (which holds master.key)`);
      }
      const loaded = loadMasterKey(config.dataDir, config.masterKey);
      if (!(await iam.verifyMasterKey(storage.db, loaded))) {
        throw new CliError(
          `the master key (${config.masterKey ? "OPENSSM_MASTER_KEY" : file}) does not open the secrets in this database: use the server's key`,
        );
      }
      key = loaded;
      return key;
    },
    close: () => storage.close(),
  };
}

type Migration = ReturnType<typeof iamMigrations>[string];

/**
 * Creates the IAM, audit and event tables on a new database. The server's other migrations are
 * not this command's to run; those already executed are listed as done so the migrator accepts them.
 */
async function migrateOwnTables(db: AnyDb, engine: Engine): Promise<void> {
  const own: Record<string, Migration> = { ...iamMigrations(engine), ...eventMigrations, ...auditMigrations(engine) };
  let executed: string[] = [];
  try {
    executed = (await db.selectFrom("kysely_migration").select("name").execute()).map((r) => String(r.name));
  } catch {
    executed = []; // a new database
  }
  if (Object.keys(own).every((n) => executed.includes(n))) return;
  const done: Record<string, Migration> = {};
  for (const name of executed) done[name] = { up: async () => {} };
  await migrate(db, { ...done, ...own });
}

/** A database URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@");
}

/** Opens storage, runs `fn`, and always closes it. */
export async function withStorage<T>(flags: StorageFlags, fn: (s: CliStorage) => Promise<T>): Promise<T> {
  const s = await openCliStorage(flags);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}
