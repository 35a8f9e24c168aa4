/**
 * The server's entry point for the other packages (the `openssm` CLI, tests, benchmarks). Loading it
 * is cheap: the whole server (HTTP, capabilities, agent channels) loads only when startServer runs,
 * so `openssm iam ...` and `openssm session ...` start without it.
 */
import type { ConfigFlags } from "./config.js";
import type { RunningServer } from "./main.js";

export type { RunningServer } from "./main.js";

/** Opens storage, runs migrations, bootstraps the admin, and serves the API (see main.ts). */
export async function startServer(flags?: ConfigFlags, opts?: Parameters<typeof import("./main.js").startServer>[1]): Promise<RunningServer> {
  const main = await import("./main.js");
  return main.startServer(flags, opts);
}

export { createLogger } from "./log.js";
export { consoleBuilt, CONSOLE_PATH } from "./http/console-static.js";
export { resolveConfig, type ConfigFlags, type ServerConfig } from "./config.js";
export { type ClientConfig, readClientConfig, writeClientConfig } from "./client-config.js";
export { openStorage, type AnyDb, type Engine } from "./storage/database.js";
export { migrate } from "./storage/migrations.js";
export { loadMasterKey } from "./crypto/master-key.js";
export * as iam from "./iam/principals.js";
export * as iamAdmin from "./iam/admin.js";
export { ApiError } from "./errors.js";
export { ensureDefaultAccount } from "./iam/bootstrap.js";
export { randomAccountId } from "./iam/ids.js";
export { type PolicyDocument, policyProblem } from "./iam/policy.js";
export { iamMigrations } from "./iam/tables.js";
export { createAuditLog, auditMigrations } from "./events/audit.js";
export { createEventBus, eventMigrations } from "./events/bus.js";
// Session recordings, for `openssm session log`.
export { toAsciicast, transcript } from "./capabilities/sessions/asciicast.js";
export { readRecording, type RecordedEvent } from "./capabilities/sessions/recording.js";
export { findSessionById } from "./capabilities/sessions/store.js";
/** Backups, restores and the configuration file, loaded on demand. */
export const loadOperations = () => import("./operations/index.js");
/** The move from SQLite to PostgreSQL (loaded on demand: it brings every capability's schema). */
export const loadDatabaseCopy = () => import("./operations/copy-database.js");
export type { ConfigFile as ServerConfigFile } from "./operations/config-file.js";
