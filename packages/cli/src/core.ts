/**
 * The parts of the server that the commands other than `server` use, from its entry point (which
 * loads the whole server, HTTP, capabilities and agents, only when startServer runs).
 */
import type { createAuditLog } from "@openssm/server";

export {
  iam,
  iamAdmin,
  ApiError,
  ensureDefaultAccount,
  randomAccountId,
  type PolicyDocument,
  policyProblem,
  iamMigrations,
  auditMigrations,
  createAuditLog,
  createEventBus,
  eventMigrations,
  openStorage,
  type AnyDb,
  type Engine,
  migrate,
  loadMasterKey,
  resolveConfig,
  type ServerConfig,
} from "@openssm/server";

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
