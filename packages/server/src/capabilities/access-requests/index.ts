import type { Capability, ServerSlot } from "../../runtime.js";
import { addDocumentContentCheck } from "../documents/index.js";
import { expireEndedGrants } from "./expiry.js";
import { checkManualPolicyDocument, MANUAL_POLICY_TYPE } from "./manual-policy.js";
import { startAccessRequest } from "./ops-start.js";
import { getAccessToken } from "./ops-token.js";
import { settleOpen, subscribeToApprovals } from "./settle.js";
import { accessRequestMigrations } from "./tables.js";

// CreateDocument / UpdateDocument of a ManualApprovalPolicy check its approvers and targets here.
addDocumentContentCheck(MANUAL_POLICY_TYPE, checkManualPolicyDocument);

const SUBSCRIPTION: ServerSlot<{ stop?: () => void }> = { name: "access-requests-subscription", create: () => ({}) };

/**
 * Just-in-time node access: StartAccessRequest evaluates the approval policies in AWS's order — the
 * deny-access and auto-approval policies (Cedar documents of type AutoApprovalPolicy, evaluated with
 * cedar-wasm), then the manual approval policies (documents of type ManualApprovalPolicy: the
 * tag-specific one, else the all-nodes one). An auto-approved request gets a 1-hour grant at once; a
 * manual one waits in an automation execution with one aws:approve step per approval level, and is
 * granted for the policy's access duration once the last level approved. Either way the request is an
 * /aws/accessrequest OpsItem, and GetAccessToken hands the requester temporary credentials that may
 * start sessions on that node only, until the grant ends.
 */
export const accessRequestsCapability: Capability = {
  name: "access-requests",
  migrations: accessRequestMigrations,
  operations: [startAccessRequest, getAccessToken],
  start(services) {
    services.own(SUBSCRIPTION).stop = subscribeToApprovals(services);
    services.scheduler.register({ name: "access-request-expiry", run: (now) => expireEndedGrants(services, now) });
    services.scheduler.register({ name: "access-request-approvals", run: () => settleOpen(services) });
  },
  stop(services) {
    services.own(SUBSCRIPTION).stop?.();
  },
};
