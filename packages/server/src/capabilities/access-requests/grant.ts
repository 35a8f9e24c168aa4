import { randomBytes } from "node:crypto";
import { createAccessKey, createPrincipal, getPrincipal, principalArn, putPolicy } from "../../iam/principals.js";
import type { PolicyDocument } from "../../iam/policy.js";
import type { Services } from "../../runtime.js";
import type { AnyDb } from "../../storage/database.js";
import type { Scope } from "../../storage/scope.js";
import { nodeArn } from "../nodes/index.js";
import type { AccessRequestRow } from "./tables.js";

/** The role AWS's just-in-time access tokens are sessions of. */
export const TOKEN_ROLE = "SSM-JustInTimeAccessTokenRole";
const GRANT_POLICY = "JustInTimeNodeAccess";

/** The role session name of a request's tokens: the requester's name and the request id (so sessions name both). */
export function tokenSessionName(row: Pick<AccessRequestRow, "requester_arn" | "access_request_id">): string {
  const requester = row.requester_arn.slice(row.requester_arn.lastIndexOf("/") + 1).replace(/[^\w+=,.@-]/g, "-");
  return `${requester.slice(0, 40)}.${row.access_request_id}`;
}

/**
 * What a grant's tokens may do: start sessions on the one node (with any session document) until the
 * grant ends, and resume or end their own sessions. Ordinary IAM evaluation enforces it; the keys
 * themselves also expire when the grant ends.
 */
export function grantPolicy(scope: Scope, row: AccessRequestRow, endsAt: number): PolicyDocument {
  const sessionName = tokenSessionName(row);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "StartSessionOnTheGrantedNode",
        Effect: "Allow",
        Action: ["ssm:StartSession"],
        Resource: [nodeArn(scope, row.target), `arn:aws:ssm:${scope.region}:*:document/*`],
        Condition: { DateLessThan: { "aws:CurrentTime": new Date(endsAt).toISOString() } },
      },
      {
        Sid: "OwnSessions",
        Effect: "Allow",
        Action: ["ssm:ResumeSession", "ssm:TerminateSession"],
        Resource: [`arn:aws:ssm:${scope.region}:${scope.accountId}:session/${sessionName}-*`],
      },
    ],
  } as PolicyDocument;
}

export interface GrantCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiresAt: number;
}

/**
 * Temporary credentials of the grant's assumed-role session (created on first use), expiring when the
 * grant ends. The requester's IAM tags go with the session (SSMSessionRunAs and the like still apply).
 */
export async function issueGrantCredentials(
  services: Services,
  db: AnyDb,
  scope: Scope,
  row: AccessRequestRow,
  requesterTags: Record<string, string>,
  now: number,
): Promise<{ credentials: GrantCredentials; principalArn: string }> {
  const endsAt = Number(row.grant_ends_at);
  const name = `${TOKEN_ROLE}/${tokenSessionName(row)}`;
  const arn = principalArn(scope.accountId, "node", name);
  if (!(await getPrincipal(db, arn))) {
    await createPrincipal(db, { accountId: scope.accountId, kind: "node", name, tags: requesterTags }, now);
  }
  await putPolicy(db, arn, GRANT_POLICY, grantPolicy(scope, row, endsAt), now);
  const sessionToken = randomBytes(96).toString("base64");
  const key = await createAccessKey(db, services.masterKey, arn, now, { sessionToken, expiresAt: endsAt });
  return { credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, sessionToken, expiresAt: endsAt }, principalArn: arn };
}
