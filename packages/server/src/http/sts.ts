import { randomUUID } from "node:crypto";
import type { Authenticator } from "../iam/authenticate.js";
import { ApiError } from "../errors.js";
import type { WireRequest, WireResponse } from "./dispatch.js";

const NS = "https://sts.amazonaws.com/doc/2011-06-15/";

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The STS query protocol, for GetCallerIdentity only: tools check their credentials with it first. */
export async function handleStsQuery(authenticator: Authenticator, req: WireRequest): Promise<WireResponse> {
  const requestId = randomUUID();
  const params = new URLSearchParams(req.body.toString("utf8"));
  const action = params.get("Action");
  const xml = (status: number, body: string): WireResponse => ({
    status,
    headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  });
  try {
    const { key } = await authenticator.authenticate(req, "sts");
    if (action !== "GetCallerIdentity") {
      throw new ApiError("InvalidAction", `openssm's STS endpoint answers only GetCallerIdentity, not ${action ?? "(no Action)"}.`);
    }
    const p = key.principal;
    const userId = p.kind === "user" ? p.principalId : `${p.principalId}:${p.name}`;
    return xml(
      200,
      `<GetCallerIdentityResponse xmlns="${NS}"><GetCallerIdentityResult><Arn>${xmlEscape(p.arn)}</Arn><UserId>${xmlEscape(userId)}</UserId><Account>${p.accountId}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    );
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError("InternalFailure", "internal error", 500);
    const code =
      err.code === "UnrecognizedClientException" ? "InvalidClientTokenId" : err.code === "InvalidSignatureException" ? "SignatureDoesNotMatch" : err.code;
    return xml(
      err.status === 500 ? 500 : code === "MissingAuthenticationTokenException" ? 403 : 403,
      `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    );
  }
}
