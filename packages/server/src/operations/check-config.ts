import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import pg from "pg";
import { type ConfigFlags, resolveConfig, type ServerConfig } from "../config.js";
import { loadMasterKey } from "../crypto/master-key.js";
import { verifyMasterKey } from "../iam/principals.js";
import { openStorage } from "../storage/database.js";
import type { ConfigFile } from "./config-file.js";
import { sqlitePath } from "./sqlite-files.js";

export interface ConfigCheck {
  /** What would stop the server or make it misbehave; empty when the configuration is good. */
  problems: string[];
  /** What the server will do (where its data is, a key it will generate). */
  notes: string[];
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/**
 * Checks what `openssm server` would run with (flags > environment > file), without starting it or
 * changing anything: the file's keys and values, the settings' values, that the database answers,
 * that the master key can be read and opens the secrets already in the database, that the data
 * directory and TLS files can be used.
 */
export async function checkServerConfig(flags: ConfigFlags, file?: ConfigFile, env: NodeJS.ProcessEnv = process.env): Promise<ConfigCheck> {
  const out: ConfigCheck = { problems: [...(file?.problems ?? [])], notes: [] };
  if (file) out.notes.push(`configuration file: ${file.path}`);
  let config: ServerConfig;
  try {
    config = resolveConfig(flags, env);
  } catch (e) {
    out.problems.push((e as Error).message);
    return out;
  }
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535)
    out.problems.push(`port must be a port number from 0 to 65535; got '${env.OPENSSM_PORT ?? flags.port}'`);
  if (!LOG_LEVELS.includes(config.logLevel)) out.problems.push(`log-level must be one of ${LOG_LEVELS.join(", ")}; got '${config.logLevel}'`);
  for (const [name, value] of [
    ["agent-poll-seconds", config.agentPollSeconds],
    ["scheduler-interval-ms", config.schedulerIntervalMs],
    ["credential-cache-seconds", config.credentialCacheSeconds],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) out.problems.push(`${name} must be a number of 0 or more; got '${value}'`);
  }
  if (config.testClock) out.problems.push("test-clock is on: anyone may move this server's clock; it is for tests only");
  if (Boolean(config.adminAccessKeyId) !== Boolean(config.adminSecretAccessKey)) {
    out.problems.push("admin-access-key-id and admin-secret-access-key go together: set both or neither");
  }
  for (const [name, path] of [
    ["tls-cert", config.tlsCertFile],
    ["tls-key", config.tlsKeyFile],
  ] as const) {
    if (path && !readable(path)) out.problems.push(`${name}: cannot read ${path}`);
  }
  if (Boolean(config.tlsCertFile) !== Boolean(config.tlsKeyFile)) out.problems.push("tls-cert and tls-key go together: set both or neither");

  checkDataDir(config.dataDir, out);
  const key = checkMasterKey(config, out);
  await checkDatabase(config, key, out);
  return out;
}

function checkDataDir(dir: string, out: ConfigCheck): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) out.problems.push(`data-dir ${dir} is not a directory`);
    else if (!writable(dir)) out.problems.push(`data-dir ${dir} is not writable by this user (the server writes its CA, credentials and client config there)`);
    else out.notes.push(`data directory: ${dir}`);
    return;
  }
  let parent = dirname(dir);
  while (!existsSync(parent) && parent !== dirname(parent)) parent = dirname(parent);
  if (!writable(parent)) out.problems.push(`data-dir ${dir} does not exist and ${parent} is not writable to create it`);
  else out.notes.push(`data directory: ${dir} (created at first start)`);
}

/** The master key when it can be read; a problem when it is set or stored but unusable. */
function checkMasterKey(config: ServerConfig, out: ConfigCheck): Buffer | undefined {
  if (config.masterKey) {
    try {
      return loadMasterKey(config.dataDir, config.masterKey);
    } catch (e) {
      out.problems.push((e as Error).message);
      return undefined;
    }
  }
  const file = join(config.dataDir, "master.key");
  if (!existsSync(file)) {
    out.notes.push(`master key: none yet; the server generates ${file} at first start`);
    return undefined;
  }
  try {
    readFileSync(file);
  } catch (e) {
    out.problems.push(`master key ${file} cannot be read by this user (${(e as NodeJS.ErrnoException).code}): the server runs as its owner`);
    return undefined;
  }
  if (statSync(file).mode & 0o077) out.problems.push(`master key ${file} may be read by others (mode ${(statSync(file).mode & 0o777).toString(8)}): chmod 600`);
  try {
    const key = loadMasterKey(config.dataDir);
    out.notes.push(`master key: ${file}`);
    return key;
  } catch (e) {
    out.problems.push((e as Error).message);
    return undefined;
  }
}

async function checkDatabase(config: ServerConfig, key: Buffer | undefined, out: ConfigCheck): Promise<void> {
  const shown = config.databaseUrl.replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@");
  const path = sqlitePath(config.databaseUrl);
  if (path !== undefined) {
    if (path === ":memory:") {
      out.notes.push("database: in memory (nothing is kept when the server stops)");
      return;
    }
    if (!existsSync(path)) {
      let parent = dirname(path);
      while (!existsSync(parent) && parent !== dirname(parent)) parent = dirname(parent);
      if (!writable(parent)) out.problems.push(`database ${path} does not exist and ${parent} is not writable to create it`);
      else out.notes.push(`database: ${path} (created at first start)`);
      return;
    }
    if (!readable(path) || !writable(path)) {
      out.problems.push(`database ${path} must be readable and writable by this user`);
      return;
    }
  } else {
    const client = new pg.Client({ connectionString: config.databaseUrl, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query("select 1");
    } catch (e) {
      out.problems.push(`database ${shown} is unreachable: ${(e as Error).message || (e as { code?: string }).code}`);
      return;
    } finally {
      await client.end().catch(() => {});
    }
  }
  const storage = openStorage(config.databaseUrl);
  try {
    const sealed = await storage.db
      .selectFrom("iam_access_keys")
      .select("access_key_id")
      .limit(1)
      .executeTakeFirst()
      .catch(() => undefined);
    if (sealed && !key) {
      out.problems.push(
        `database ${shown} holds secrets sealed under a master key, but there is none here: set master-key (OPENSSM_MASTER_KEY) or point data-dir at the directory holding master.key`,
      );
    } else if (sealed && key && !(await verifyMasterKey(storage.db, key))) {
      out.problems.push(`the master key does not open the secrets in ${shown}: it is another server's key`);
    }
    out.notes.push(`database: ${shown} answers`);
  } catch (e) {
    out.problems.push(`database ${shown}: ${(e as Error).message}`);
  } finally {
    await storage.close();
  }
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
