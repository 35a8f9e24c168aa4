/**
 * The parts of the server that the commands other than `server` use, imported from their modules so
 * that `openssm iam ...` starts without loading the whole server (HTTP, capabilities, agents).
 */
import type { createAuditLog } from "../../server/src/events/audit.js";

export * as iam from "../../server/src/iam/principals.js";
export { ensureDefaultAccount } from "../../server/src/iam/bootstrap.js";
export { randomAccountId } from "../../server/src/iam/ids.js";
export { type PolicyDocument, policyProblem } from "../../server/src/iam/policy.js";
export { iamMigrations } from "../../server/src/iam/tables.js";
export { auditMigrations, createAuditLog } from "../../server/src/events/audit.js";
export { createEventBus, eventMigrations } from "../../server/src/events/bus.js";
export { openStorage, type AnyDb, type Engine } from "../../server/src/storage/database.js";
export { migrate } from "../../server/src/storage/migrations.js";
export { loadMasterKey } from "../../server/src/crypto/master-key.js";
export { resolveConfig, type ServerConfig } from "../../server/src/config.js";

type Logger = Parameters<typeof createAuditLog>[1];
const nothing = () => {};

/** A logger that drops everything: the commands only read the audit trail and event log. */
export const silentLog = {
  level: "silent",
  fatal: nothing,
  error: nothing,
  warn: nothing,
  info: nothing,
  debug: nothing,
  trace: nothing,
  silent: nothing,
  child: () => silentLog,
} as unknown as Logger;
