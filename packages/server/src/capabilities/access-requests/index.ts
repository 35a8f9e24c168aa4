import type { Capability } from "../../runtime.js";
import { expireEndedGrants } from "./expiry.js";
import { startAccessRequest } from "./ops-start.js";
import { getAccessToken } from "./ops-token.js";
import { accessRequestMigrations } from "./tables.js";

/**
 * Just-in-time node access: StartAccessRequest evaluates the Cedar approval policies (documents of
 * type AutoApprovalPolicy: the deny-access and the auto-approval policy) with cedar-wasm, opens an
 * /aws/accessrequest OpsItem and grants a 1-hour window; GetAccessToken hands the requester
 * temporary credentials that may start sessions on that node only, until the window ends.
 * Manual approval policies are not evaluated yet: a request no policy approves is refused.
 */
export const accessRequestsCapability: Capability = {
  name: "access-requests",
  migrations: accessRequestMigrations,
  operations: [startAccessRequest, getAccessToken],
  start(services) {
    services.scheduler.register({ name: "access-request-expiry", run: (now) => expireEndedGrants(services, now) });
  },
};
