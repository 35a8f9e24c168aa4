import type { EventInput } from "../../events/bus.js";
import type { Scope } from "../../storage/scope.js";
import { nodeArn } from "../nodes/index.js";

/** Just-in-time node access decisions as EventBridge events (source aws.ssm), one per decision. */
export interface AccessDecision {
  accessRequestId?: string;
  requester: string;
  target: string;
  status: "Pending" | "Approved" | "Rejected" | "Expired" | "TokenIssued";
  /** A manual request's automation execution (where its approvers send their signals). */
  executionId?: string;
  reason: string;
  /** Which approval policy decided, and its statements that matched. */
  policy?: string;
  statements?: string[];
  grantEndsAt?: number;
}

export function accessRequestEvent(scope: Scope, d: AccessDecision): EventInput {
  const resources = [nodeArn(scope, d.target)];
  if (d.accessRequestId) resources.unshift(`arn:aws:ssm:${scope.region}:${scope.accountId}:opsitem/${d.accessRequestId}`);
  return {
    source: "aws.ssm",
    "detail-type": d.status === "TokenIssued" ? "Just-in-time Node Access Token Issued" : "Just-in-time Node Access Request Status Change",
    account: scope.accountId,
    region: scope.region,
    resources,
    detail: {
      "access-request-id": d.accessRequestId,
      requester: d.requester,
      "target-id": d.target,
      status: d.status,
      reason: d.reason,
      policy: d.policy,
      statements: d.statements,
      "grant-end-time": d.grantEndsAt === undefined ? undefined : new Date(d.grantEndsAt).toISOString(),
      "automation-execution-id": d.executionId,
    },
  };
}
