import type { Principal } from "../../iam/principals.js";
import type { PolicyDocument } from "../../iam/policy.js";
import type { Services } from "../../runtime.js";

/**
 * What Change Manager itself may do when it acts for a requester (AWS's service does this with its
 * own role): open and update the change request's OpsItem and read its execution. Nothing else.
 */
const SERVICE_POLICY: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Action: ["ssm:CreateOpsItem", "ssm:UpdateOpsItem", "ssm:DeleteOpsItem", "ssm:GetOpsItem", "ssm:GetAutomationExecution"], Resource: "*" },
  ],
};

/**
 * Calls an SSM operation in-process as Change Manager acting for `principal`: validated, authorized
 * (by the policy above), handled and audited like a signed call, with source `change-manager:<id>`.
 */
export function serviceCall(
  services: Services,
  principal: Principal,
  region: string,
  changeRequestId: string,
  operation: string,
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  return services.api.invoke({
    service: "ssm",
    operation,
    input,
    principal,
    policies: [SERVICE_POLICY],
    region,
    source: `change-manager:${changeRequestId}`,
  });
}
