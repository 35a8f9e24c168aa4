import { ApiError } from "../../errors.js";
import { ANY_RESOURCE, op, type RequestContext } from "../../runtime.js";
import { putTags } from "../tags/store.js";
import { issueNodeCredentials } from "./credentials.js";
import { activationCodeMatches, newInstanceId } from "./ids.js";
import { optionalString, parseNodePublicKey, requiredString } from "./input-checks.js";
import { NODE_RESOURCE_TYPE, findInstance, nodeArn } from "./store.js";
import { nodeDb } from "./tables.js";

interface RegisterInput {
  ActivationCode?: string;
  ActivationId?: string;
  PublicKey?: string;
  PublicKeyType?: string;
  Fingerprint?: string;
  IamRole?: string;
  Tags?: { Key?: string; Value?: string }[];
}

/**
 * RegisterManagedInstance (agent-only, unsigned): an activation code and id, the node's RSA public
 * key and fingerprint → a new `mi-` id. The activation must exist, not be deleted or expired, have
 * registrations left, and the code must match.
 */
export const registerManagedInstance = op<RegisterInput, { InstanceId: string }>({
  service: "ssm",
  name: "RegisterManagedInstance",
  anonymous: true,
  async handle(ctx, raw) {
    // The audit trail records the input after the call, and this agent-only operation has no public
    // model to mark the code sensitive: take the code out of the request before anything can fail.
    const input = { ...(raw as Record<string, unknown>) };
    if ((raw as Record<string, unknown>).ActivationCode !== undefined) (raw as Record<string, unknown>).ActivationCode = "***";
    if (input.ActivationCode === undefined && input.ActivationId === undefined) {
      throw new ApiError(
        "InvalidActivation",
        "openssm registers nodes with a hybrid activation only: pass ActivationCode and ActivationId (amazon-ssm-agent -register -code ... -id ... -region ...).",
      );
    }
    const code = requiredString(input, "ActivationCode", 20, 250);
    const activationId = requiredString(input, "ActivationId", 36, 36);
    const publicKey = requiredString(input, "PublicKey", 392, 4096);
    const publicKeyType = optionalString(input, "PublicKeyType", 1, 16);
    const fingerprint = requiredString(input, "Fingerprint", 1, 256);
    parseNodePublicKey(publicKey, publicKeyType, "PublicKey");

    const db = nodeDb(ctx.services.db);
    const now = ctx.now().getTime();
    const activation = await db.selectFrom("nodes_activations").selectAll().where("activation_id", "=", activationId).executeTakeFirst();
    if (!activation) throw new ApiError("InvalidActivationId", `Activation ${activationId} does not exist; check the activation id given to the agent.`);
    if (activation.deleted_at !== null) throw new ApiError("InvalidActivation", `Activation ${activationId} was deleted; create a new activation.`);
    if (!activationCodeMatches(code, activation.code_hash)) {
      throw new ApiError("InvalidActivation", `The activation code does not match activation ${activationId}; check the code given to the agent.`);
    }
    if (activation.expiration_date <= now) {
      throw new ApiError(
        "InvalidActivation",
        `Activation ${activationId} expired at ${new Date(activation.expiration_date).toISOString()}; create a new activation.`,
      );
    }
    // One registration is taken, the node recorded with its tags, and its event published together;
    // taking it is a conditional update, so concurrent registrations never exceed the limit.
    const instanceId = newInstanceId();
    const scope = { accountId: activation.account_id, region: activation.region };
    await ctx.services.transaction(async (tx) => {
      const taken = await nodeDb(tx.db)
        .updateTable("nodes_activations")
        .set((eb) => ({ registrations_count: eb("registrations_count", "+", 1) }))
        .where("activation_id", "=", activationId)
        .where("deleted_at", "is", null)
        .whereRef("registrations_count", "<", "registration_limit")
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) !== 1) {
        throw new ApiError(
          "InvalidActivation",
          `Activation ${activationId} has reached its registration limit of ${activation.registration_limit}; create a new activation (or deregister unused nodes and use a new one).`,
        );
      }
      await nodeDb(tx.db)
        .insertInto("nodes_instances")
        .values({
          instance_id: instanceId,
          account_id: scope.accountId,
          region: scope.region,
          activation_id: activationId,
          iam_role: activation.iam_role,
          name: activation.default_instance_name,
          public_key: publicKey,
          public_key_type: publicKeyType ?? "Rsa",
          fingerprint,
          key_updated_at: now,
          registered_at: now,
          deregistered_at: null,
          principal_arn: null,
          last_ping_at: null,
          agent_name: null,
          agent_version: null,
          platform_type: null,
          platform_name: null,
          platform_version: null,
          computer_name: null,
          ip_address: null,
          info: "{}",
          association_status: null,
          last_association_at: null,
          last_successful_association_at: null,
          association_overview: null,
        })
        .execute();
      const tags = JSON.parse(activation.tags) as { Key: string; Value: string }[];
      if (tags.length) await putTags(tx.db, scope, NODE_RESOURCE_TYPE, instanceId, tags);
      tx.publish({
        "detail-type": "SSM Managed Instance Registration",
        account: scope.accountId,
        region: scope.region,
        resources: [nodeArn(scope, instanceId)],
        detail: { "instance-id": instanceId, "activation-id": activationId, state: "Registered" },
      });
    });
    return { InstanceId: instanceId };
  },
});

async function callingNode(ctx: RequestContext) {
  const id = ctx.accessKeyId;
  const row = await findInstance(ctx.services.db, ctx, id);
  if (!row || row.deregistered_at !== null || ctx.principal.kind !== "node") {
    throw new ApiError("InvalidInstanceId", `${ctx.operation} must be signed with a registered managed node's RSA key (Credential=<mi-id>/...).`);
  }
  return row;
}

/** How long a node's RSA key serves before the server asks the agent for a new one (30 days). */
export const NODE_KEY_MAX_AGE_MS = 30 * 24 * 3600_000;

/** RequestManagedInstanceRoleToken (agent-only, RSA-signed): temporary credentials for the node. */
export const requestManagedInstanceRoleToken = op<{ Fingerprint?: string }, object>({
  service: "ssm",
  name: "RequestManagedInstanceRoleToken",
  resources: ANY_RESOURCE,
  async handle(ctx, raw) {
    const fingerprint = requiredString(raw as Record<string, unknown>, "Fingerprint", 1, 256);
    const row = await callingNode(ctx);
    if (fingerprint !== row.fingerprint) {
      throw new ApiError(
        "InvalidInstanceId",
        `The fingerprint does not match the one managed node ${row.instance_id} registered with; the machine may have been cloned. Register it again with a new activation.`,
      );
    }
    const now = ctx.now().getTime();
    const creds = await issueNodeCredentials(ctx.services, row, now);
    return {
      AccessKeyId: creds.accessKeyId,
      SecretAccessKey: creds.secretAccessKey,
      SessionToken: creds.sessionToken,
      TokenExpirationDate: new Date(creds.expiresAt),
      // A key older than this is replaced: the agent answers with UpdateManagedInstancePublicKey.
      UpdateKeyPair: now - row.key_updated_at >= NODE_KEY_MAX_AGE_MS,
    };
  },
});

/** UpdateManagedInstancePublicKey (agent-only, signed with the old RSA key): key rotation. */
export const updateManagedInstancePublicKey = op<{ NewPublicKey?: string; NewPublicKeyType?: string }, object>({
  service: "ssm",
  name: "UpdateManagedInstancePublicKey",
  resources: ANY_RESOURCE,
  async handle(ctx, raw) {
    const input = raw as Record<string, unknown>;
    const key = requiredString(input, "NewPublicKey", 392, 4096);
    const type = requiredString(input, "NewPublicKeyType", 1, 16);
    parseNodePublicKey(key, type, "NewPublicKey");
    const row = await callingNode(ctx);
    await nodeDb(ctx.services.db)
      .updateTable("nodes_instances")
      .set({ public_key: key, public_key_type: type, key_updated_at: ctx.now().getTime() })
      .where("instance_id", "=", row.instance_id)
      .where("deregistered_at", "is", null)
      .execute();
    return {};
  },
});

export const registrationOperations = [registerManagedInstance, requestManagedInstanceRoleToken, updateManagedInstancePublicKey];
