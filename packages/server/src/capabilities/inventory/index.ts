import type { Capability } from "../../runtime.js";
import { deleteInventory, describeInventoryDeletions } from "./ops-delete.js";
import { putInventory } from "./ops-put.js";
import { getInventory, getInventorySchema, listInventoryEntries } from "./ops-read.js";
import { inventoryMigrations } from "./tables.js";

/**
 * Inventory: what nodes have installed and how they are configured (PutInventory from the agents'
 * aws:softwareInventory runs), queryable across the fleet (GetInventory filters and aggregators),
 * with AWS's types, the accounts' Custom: types and their deletion.
 */
export const inventoryCapability: Capability = {
  name: "inventory",
  migrations: inventoryMigrations,
  operations: [putInventory, getInventory, getInventorySchema, listInventoryEntries, deleteInventory, describeInventoryDeletions],
};
