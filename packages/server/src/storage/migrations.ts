import { type Migration, type MigrationProvider, Migrator } from "kysely";
import type { AnyDb } from "./database.js";

/** Runs every capability's migrations at start. Names are prefixed by their owner, so order across owners does not matter. */
export async function migrate(db: AnyDb, migrations: Record<string, Migration>): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error");
    throw new Error(`migration ${failed?.migrationName ?? "?"} failed: ${(error as Error).message ?? error}`);
  }
}
