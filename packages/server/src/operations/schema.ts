import type { Migration } from "kysely";
import { capabilities as allCapabilities } from "../capabilities/index.js";
import { auditMigrations } from "../events/audit.js";
import { eventMigrations } from "../events/bus.js";
import { iamMigrations } from "../iam/tables.js";
import type { Capability } from "../runtime.js";
import { schedulerMigrations } from "../scheduler/scheduler.js";
import type { Engine } from "../storage/database.js";

/** Every migration the server runs at start, for one engine: the core's, then each capability's. */
export function serverMigrations(engine: Engine, capabilities: Capability[] = allCapabilities): Record<string, Migration> {
  const migrations: Record<string, Migration> = {
    ...iamMigrations(engine),
    ...schedulerMigrations,
    ...eventMigrations,
    ...auditMigrations(engine),
  };
  for (const c of capabilities) Object.assign(migrations, c.migrations?.(engine) ?? {});
  return migrations;
}

/** The tables that only record which migrations ran (each database keeps its own). */
export const MIGRATION_TABLES = new Set(["kysely_migration", "kysely_migration_lock"]);
