import type { EventInput } from "../../events/bus.js";
import type { Services } from "../../runtime.js";
import type { ScheduledJob } from "../../scheduler/scheduler.js";
import { deleteAllTags } from "../tags/index.js";
import { type EventSubject, parameterChange, policyAction } from "./events.js";
import { changeParameter, PARAMETER_RESOURCE_TYPE } from "./lookup.js";
import { arnResource } from "./names.js";
import { decodePolicies, encodePolicies, nextPolicyAt, policyDueAt, type StoredPolicy } from "./policies.js";
import { deleteParameterRows, duePolicyParameters, type HeadRow, pdb } from "./store.js";

const BATCH = 100;
const MAX_ROUNDS = 50;

const iso = (ms: number) => new Date(ms).toISOString();

function subjectOf(head: HeadRow): EventSubject {
  return {
    accountId: head.account_id,
    region: head.region,
    arn: `arn:aws:ssm:${head.region}:${head.account_id}:${arnResource(head.name_key)}`,
    name: head.name,
    type: head.type,
    description: head.description,
  };
}

/** Deletes an expired parameter and publishes the policy action and the Delete change. */
async function expire(services: Services, head: HeadRow, policy: StoredPolicy, now: number): Promise<void> {
  const scope = { accountId: head.account_id, region: head.region };
  const subject = subjectOf(head);
  await changeParameter(services, scope, head.name_key, async (tx) => {
    if (!(await deleteParameterRows(tx.db, scope, head.name_key))) return;
    await deleteAllTags(tx.db, scope, PARAMETER_RESOURCE_TYPE, head.name_key);
    tx.publish(policyAction(subject, policy, `The parameter expired at ${iso(policy.at ?? now)} and was deleted by its Expiration policy.`));
    tx.publish(parameterChange(subject, "Delete"));
  });
}

function reasonFor(policy: StoredPolicy, all: StoredPolicy[], head: HeadRow): string {
  if (policy.type === "ExpirationNotification") {
    const at = all.find((p) => p.type === "Expiration")?.at;
    return `The parameter expires at ${at === undefined ? "an unknown time" : iso(at)}; this notification was requested ${policy.offsetText} before.`;
  }
  return `The parameter hasn't changed for ${policy.offsetText}: it was last modified at ${iso(Number(head.last_modified_date))}.`;
}

/** Acts on one parameter's due policies: deletes it when expired, else publishes due notifications once. */
async function enforce(services: Services, head: HeadRow, now: number): Promise<void> {
  const policies = decodePolicies(head.policies);
  const lastModified = Number(head.last_modified_date);
  const expiration = policies.find((p) => p.type === "Expiration");
  if (expiration?.at !== undefined && expiration.at <= now) return expire(services, head, expiration, now);
  const updated: StoredPolicy[] = [];
  const notices: EventInput[] = [];
  for (const p of policies) {
    const due = policyDueAt(p, policies, lastModified);
    if (due !== undefined && due <= now && p.type !== "Expiration") {
      notices.push(policyAction(subjectOf(head), p, reasonFor(p, policies, head)));
      updated.push({ ...p, status: "Finished" });
    } else updated.push(p);
  }
  // The notifications go out once, with the policies marked Finished, and only if nobody wrote a new
  // version meanwhile (that write recomputed the schedule itself).
  await services.transaction(async (tx) => {
    const r = await pdb(tx.db)
      .updateTable("parameters")
      .set({ policies: encodePolicies(updated), next_policy_at: nextPolicyAt(updated, lastModified) })
      .where("account_id", "=", head.account_id)
      .where("region", "=", head.region)
      .where("name_key", "=", head.name_key)
      .where("version", "=", head.version)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) for (const notice of notices) tx.publish(notice);
  });
}

/** The scheduler job that enforces parameter policies (reads time from the scheduler's clock). */
export function parameterPolicyJob(services: Services): ScheduledJob {
  return {
    name: "parameters-policies",
    async run(now) {
      const d = pdb(services.db);
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const due = await duePolicyParameters(d, now, BATCH);
        for (const head of due) {
          try {
            await enforce(services, head, now);
          } catch (e) {
            services.log.error({ err: e, parameter: head.name, account: head.account_id }, "enforcing a parameter policy failed");
          }
        }
        if (due.length < BATCH) return;
      }
    },
  };
}
