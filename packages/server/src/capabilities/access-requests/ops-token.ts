import type { GetAccessTokenRequest, GetAccessTokenResponse } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { op } from "../../runtime.js";
import { accessRequestEvent } from "./events.js";
import { issueGrantCredentials } from "./grant.js";
import { settleNow } from "./settle.js";
import { currentStatus, requireAccessRequest, setTokenPrincipal } from "./store.js";
import type { AccessRequestRow } from "./tables.js";

export const getAccessToken = op<GetAccessTokenRequest, GetAccessTokenResponse, AccessRequestRow>({
  service: "ssm",
  name: "GetAccessToken",
  async resources(ctx, input) {
    const row = await requireAccessRequest(ctx.services.db, ctx, String(input.AccessRequestId));
    return { resources: [{ arn: `arn:aws:ssm:${ctx.region}:${ctx.accountId}:opsitem/${row.access_request_id}` }], prepared: row };
  },
  async handle(ctx, _input, prepared) {
    let row = prepared;
    if (row.requester_arn !== ctx.principal.arn) {
      throw new ApiError(
        "AccessDeniedException",
        `Access request ${row.access_request_id} belongs to ${row.requester_arn}; only the requester gets its access token.`,
      );
    }
    if (row.status === "Pending" && row.execution_id) {
      // A manual request whose approvals just ended is decided now, not at the next event or pass.
      await settleNow(ctx.services, row.access_request_id);
      row = (await requireAccessRequest(ctx.services.db, ctx, row.access_request_id)) as AccessRequestRow;
    }
    const now = ctx.now().getTime();
    // Until approved (Pending: its approvers have not all approved yet), after a rejection, or once the window closed: the status, no token.
    const status = currentStatus(row, now);
    if (status !== "Approved") return { AccessRequestStatus: status as GetAccessTokenResponse["AccessRequestStatus"] };
    const issued = await ctx.transaction(async (tx) => {
      const out = await issueGrantCredentials(ctx.services, tx.db, ctx, row, ctx.principal.tags, now);
      if (row.token_principal_arn !== out.principalArn) await setTokenPrincipal(tx.db, row.access_request_id, out.principalArn);
      tx.publish(
        accessRequestEvent(ctx, {
          accessRequestId: row.access_request_id,
          requester: row.requester_arn,
          target: row.target,
          status: "TokenIssued",
          reason: `temporary credentials ${out.credentials.accessKeyId} issued to ${out.principalArn}`,
          grantEndsAt: out.credentials.expiresAt,
        }),
      );
      return out.credentials;
    });
    return {
      AccessRequestStatus: "Approved",
      Credentials: {
        AccessKeyId: issued.accessKeyId,
        SecretAccessKey: issued.secretAccessKey,
        SessionToken: issued.sessionToken,
        ExpirationTime: new Date(issued.expiresAt),
      },
    };
  },
});
