import type { Capability, Services } from "../../runtime.js";
import { getServiceSetting, resetServiceSetting, updateServiceSetting } from "./ops-settings.js";
import { definitionOf, readSetting, type Scope, settingMigrations } from "./store.js";

export { DEFAULT_PARAMETER_TIER } from "./catalog.js";

/** The account's value of a setting (for the capabilities that act on it). */
export async function serviceSettingValue(services: Services, scope: Scope, id: string): Promise<string> {
  const definition = definitionOf(id);
  if (!definition) throw new Error(`unknown service setting ${id}`);
  return (await readSetting(services.db, scope, definition)).value;
}

/** GetServiceSetting, UpdateServiceSetting, ResetServiceSetting: account-level settings that change how openssm behaves. */
export const settingsCapability: Capability = {
  name: "settings",
  migrations: () => settingMigrations,
  operations: [getServiceSetting, updateServiceSetting, resetServiceSetting],
};
