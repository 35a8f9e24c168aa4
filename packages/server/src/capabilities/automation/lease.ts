import type { Services, Tx } from "../../runtime.js";
import { LEASE_MS } from "./engine-state.js";
import { automationDb } from "./tables.js";

export class LostLease extends Error {}

/** Takes (or renews) the execution for this replica; false when another holds it or it ended. */
export async function claim(services: Services, executionId: string, owner: string): Promise<boolean> {
  const wall = Date.now();
  const r = await automationDb(services.db)
    .updateTable("automation_executions")
    .set({ lease_owner: owner, lease_until: wall + LEASE_MS })
    .where("execution_id", "=", executionId)
    .where("ended_at", "is", null)
    .where((eb) => eb.or([eb("lease_owner", "is", null), eb("lease_until", "<", wall), eb("lease_owner", "=", owner)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function release(services: Services, executionId: string, owner: string): Promise<void> {
  await automationDb(services.db)
    .updateTable("automation_executions")
    .set({ lease_owner: null, lease_until: null })
    .where("execution_id", "=", executionId)
    .where("lease_owner", "=", owner)
    .execute();
}

/**
 * One transaction of an execution's progress, only while this replica still holds it: the lease is
 * renewed first, and a replica that lost it writes nothing (so no step runs twice).
 */
export async function guarded<T>(services: Services, executionId: string, owner: string, work: (tx: Tx) => Promise<T>): Promise<T> {
  return services.transaction(async (tx) => {
    const r = await automationDb(tx.db)
      .updateTable("automation_executions")
      .set({ lease_until: Date.now() + LEASE_MS })
      .where("execution_id", "=", executionId)
      .where("lease_owner", "=", owner)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new LostLease(`execution ${executionId} is no longer held by this replica`);
    return work(tx);
  });
}
