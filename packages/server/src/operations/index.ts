/**
 * Operating an install: the configuration file and its check, backups and restores. Light to load;
 * the move to PostgreSQL (which brings every capability's schema) is `loadDatabaseCopy` in ../index.ts.
 */
export { applyConfigFile, CONFIG_ENV, CONFIG_KEYS, ENV_ONLY, readConfigFile, type ConfigFile } from "./config-file.js";
export { checkServerConfig, type ConfigCheck } from "./check-config.js";
export { backupSqlite, OperationError, restoreSqlite, sqliteInUse, sqlitePath } from "./sqlite-files.js";
