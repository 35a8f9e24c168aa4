import type { Kysely, Migration } from "kysely";
import type { AnyDb } from "../../storage/database.js";
import { SETTINGS, type SettingDefinition } from "./catalog.js";
import { inScope, type Scope } from "../../storage/scope.js";

export interface SettingTables {
  service_settings: {
    account_id: string;
    region: string;
    setting_id: string;
    value: string;
    modified_at: number;
    modified_by: string;
  };
}

export const settingDb = (db: AnyDb) => db as unknown as Kysely<SettingTables>;

export const settingMigrations: Record<string, Migration> = {
  "settings-001-service-settings": {
    async up(db: AnyDb) {
      await db.schema
        .createTable("service_settings")
        .addColumn("account_id", "varchar(12)", (c) => c.notNull())
        .addColumn("region", "varchar(32)", (c) => c.notNull())
        .addColumn("setting_id", "varchar(1000)", (c) => c.notNull())
        .addColumn("value", "varchar(4096)", (c) => c.notNull())
        .addColumn("modified_at", "bigint", (c) => c.notNull())
        .addColumn("modified_by", "varchar(2048)", (c) => c.notNull())
        .addPrimaryKeyConstraint("service_settings_pk", ["account_id", "region", "setting_id"])
        .execute();
    },
  },
};

export type { Scope } from "../../storage/scope.js";

/** A setting as the account sees it: its customized value, or the default. */
export interface SettingState {
  definition: SettingDefinition;
  value: string;
  customized?: { at: number; by: string };
}

export function definitionOf(id: string): SettingDefinition | undefined {
  return SETTINGS.find((s) => s.id === id);
}

export async function readSetting(db: AnyDb, scope: Scope, definition: SettingDefinition): Promise<SettingState> {
  const row = await settingDb(db).selectFrom("service_settings").selectAll().where(inScope(scope)).where("setting_id", "=", definition.id).executeTakeFirst();
  return row ? { definition, value: row.value, customized: { at: row.modified_at, by: row.modified_by } } : { definition, value: definition.defaultValue };
}

export async function writeSetting(db: AnyDb, scope: Scope, id: string, value: string, at: number, by: string): Promise<void> {
  const row = { account_id: scope.accountId, region: scope.region, setting_id: id, value, modified_at: at, modified_by: by };
  await settingDb(db)
    .insertInto("service_settings")
    .values(row)
    .onConflict((oc) => oc.columns(["account_id", "region", "setting_id"]).doUpdateSet({ value, modified_at: at, modified_by: by }))
    .execute();
}

export async function resetSetting(db: AnyDb, scope: Scope, id: string): Promise<void> {
  await settingDb(db).deleteFrom("service_settings").where(inScope(scope)).where("setting_id", "=", id).execute();
}
