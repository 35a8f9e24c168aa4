import { createPublicKey, verify } from "node:crypto";
import { RSA_PSS } from "@openssm/protocol";
import { ApiError } from "../../errors.js";
import { stringToSign } from "../../iam/sigv4.js";
import type { AuthScheme } from "../../iam/authenticate.js";
import type { ResolvedKey } from "../../iam/principals.js";
import type { AnyDb } from "../../storage/database.js";
import { nodePrincipalArn } from "./credentials.js";
import { INSTANCE_ID } from "./ids.js";
import { RSA_KEY_POLICY } from "./node-policy.js";
import { findInstanceById } from "./store.js";

/**
 * The agents' RSA variant of SigV4: `Credential=<mi-id>/<date>/<region>/ssm/aws4_request` and
 * `Signature=<base64 RSA-PSS(SHA-256, salt 32) over the SigV4 string to sign>`, verified against the
 * node's registered public key. It applies only to mi- credentials and grants only what
 * RSA_KEY_POLICY allows (RequestManagedInstanceRoleToken, UpdateManagedInstancePublicKey).
 */
export function rsaAuthScheme(db: AnyDb): AuthScheme {
  return async (req, auth, amzDate): Promise<ResolvedKey | undefined> => {
    if (!auth.accessKeyId.startsWith("mi-")) return undefined;
    const instanceId = auth.accessKeyId;
    const row = INSTANCE_ID.test(instanceId) ? await findInstanceById(db, instanceId) : undefined;
    if (!row || row.deregistered_at !== null) {
      throw new ApiError(
        "InvalidInstanceId",
        `Managed node ${instanceId} is not registered (it was deregistered or never existed); register it again with an activation.`,
      );
    }
    if (auth.service !== "ssm") {
      throw new ApiError("AccessDeniedException", `A node's RSA key signs only SSM requests (credential scope service 'ssm', not '${auth.service}').`);
    }
    if (auth.region !== row.region) {
      throw new ApiError(
        "InvalidSignatureException",
        `Managed node ${instanceId} is registered in ${row.region}; sign its requests for that region, not ${auth.region}.`,
      );
    }
    const signature = Buffer.from(auth.signature, "base64");
    const publicKey = createPublicKey({ key: Buffer.from(row.public_key, "base64"), format: "der", type: "spki" });
    const ok = verify("sha256", Buffer.from(stringToSign(req, auth, amzDate), "utf8"), { key: publicKey, ...RSA_PSS }, signature);
    if (!ok) {
      throw new ApiError(
        "InvalidSignatureException",
        `The RSA signature of managed node ${instanceId} does not verify against its registered public key. Check that the node signs with the private key it registered (or last rotated to).`,
      );
    }
    const arn = nodePrincipalArn(row);
    return {
      accessKeyId: instanceId,
      secret: "",
      sessionTokenHash: null,
      expiresAt: null,
      status: "Active",
      principal: { arn, accountId: row.account_id, kind: "node", name: `${row.iam_role}/${instanceId}`, principalId: instanceId, tags: {} },
      policies: [RSA_KEY_POLICY],
    };
  };
}
