import type { Services } from "../../runtime.js";
import { accessRequestEvent } from "./events.js";
import { endedGrants, markExpired } from "./store.js";

/**
 * Records the end of each grant whose window has passed: the request becomes Expired and an event
 * says so. Its keys already refuse (they expire with the grant); this makes the end visible.
 */
export async function expireEndedGrants(services: Services, now: number): Promise<void> {
  for (const row of await endedGrants(services.db, now)) {
    const scope = { accountId: row.account_id, region: row.region };
    await services.transaction(async (tx) => {
      if (!(await markExpired(tx.db, row.access_request_id))) return;
      tx.publish(
        accessRequestEvent(scope, {
          accessRequestId: row.access_request_id,
          requester: row.requester_arn,
          target: row.target,
          status: "Expired",
          reason: `the access window ended at ${new Date(Number(row.grant_ends_at)).toISOString()}`,
          grantEndsAt: Number(row.grant_ends_at),
        }),
      );
    });
  }
}
