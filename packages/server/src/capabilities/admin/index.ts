import type { Capability } from "../../runtime.js";
import { accessKeyOperations } from "./ops-access-keys.js";
import { auditOperations } from "./ops-audit.js";
import { policyOperations } from "./ops-policies.js";
import { principalOperations } from "./ops-principals.js";

/**
 * The admin API (X-Amz-Target `OpenSSM.<Operation>`, signed as `ssm`): IAM-style users, roles, inline
 * policies and access keys with IAM's operation names, shapes and actions (`iam:CreateUser`), and the
 * audit trail and event log (`openssm:LookupAuditEvents`, `openssm:ListEvents`). The console and any
 * SigV4 client use it; `openssm iam` applies the same rules (iam/admin.ts) directly to storage.
 */
export const adminCapability: Capability = {
  name: "admin",
  operations: [
    ...principalOperations("user"),
    ...policyOperations("user"),
    ...accessKeyOperations,
    ...principalOperations("role"),
    ...policyOperations("role"),
    ...auditOperations,
  ],
};
