export { startServer, type RunningServer, createLogger } from "./main.js";
export { resolveConfig, type ServerConfig } from "./config.js";
export { openStorage } from "./storage/database.js";
export { loadMasterKey } from "./crypto/master-key.js";
export * as iam from "./iam/principals.js";
export { policyProblem } from "./iam/policy.js";
export { iamMigrations } from "./iam/tables.js";
export { createAuditLog, auditMigrations } from "./events/audit.js";
