import type { Capability, RequestContext } from "../../runtime.js";
import { deleteInventory, describeInventoryDeletions } from "./ops-delete.js";
import { putInventory } from "./ops-put.js";
import { getInventory, getInventorySchema, listInventoryEntries } from "./ops-read.js";
import { entityData, loadFleet } from "./query.js";
import { inventoryMigrations } from "./tables.js";
import { schemaFor } from "./types.js";

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

/** One node's data of one inventory type, as OpsData (GetOpsSummary) shows it. */
export interface InventoryOpsEntity {
  instanceId: string;
  captureTime: string;
  content: Record<string, string>[];
}

/** Every registered node's data of an inventory type in the caller's account and region, or undefined for a type it does not know. */
export async function inventoryOpsData(ctx: RequestContext, typeName: string): Promise<InventoryOpsEntity[] | undefined> {
  if (!(await schemaFor(ctx.services.db, ctx, typeName))) return undefined;
  const fleet = await loadFleet(ctx);
  const data = await entityData(
    ctx,
    fleet,
    fleet.facts.map((f) => f.instanceId),
    typeName,
  );
  return [...data].map(([instanceId, d]) => ({ instanceId, captureTime: d.CaptureTime, content: d.Content }));
}
