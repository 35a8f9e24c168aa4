import type { EventInput } from "../../events/bus.js";
import type { StoredPolicy } from "./policies.js";

/** What identifies a parameter in an event. */
export interface EventSubject {
  accountId: string;
  region: string;
  arn: string;
  name: string;
  type: string;
  description?: string | null;
  dataType?: string;
}

/** "Parameter Store Change": Create, Update, Delete, LabelParameterVersion (and UnlabelParameterVersion). */
export function parameterChange(s: EventSubject, operation: string, extra: Record<string, unknown> = {}): EventInput {
  const detail: Record<string, unknown> = { operation, name: s.name, type: s.type, description: s.description ?? "" };
  if (s.dataType && s.dataType !== "text") detail.dataType = s.dataType;
  return { "detail-type": "Parameter Store Change", account: s.accountId, region: s.region, resources: [s.arn], detail: { ...detail, ...extra } };
}

/** "Parameter Store Policy Action": a policy expired the parameter or its notification came due. */
export function policyAction(s: EventSubject, policy: StoredPolicy, reason: string): EventInput {
  return {
    "detail-type": "Parameter Store Policy Action",
    account: s.accountId,
    region: s.region,
    resources: [s.arn],
    detail: {
      "parameter-name": s.name,
      "parameter-type": s.type,
      "policy-type": policy.type,
      "policy-content": policy.text,
      "action-status": "Finished",
      "action-reason": reason,
    },
  };
}
