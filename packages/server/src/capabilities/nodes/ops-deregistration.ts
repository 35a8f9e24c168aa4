import type { DeregisterManagedInstanceRequest, UpdateManagedInstanceRoleRequest } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { op, type RequestContext } from "../../runtime.js";
import { deleteAllTags, getTags } from "../tags/store.js";
import { deleteNodeCredentials, invalidateCachedKeys } from "./credentials.js";
import { announceNodeDeregistered } from "../../agents/index.js";
import { findInstance, forgetTouches, NODE_RESOURCE_TYPE, nodeArn } from "./store.js";
import { nodeDb } from "./tables.js";

async function registeredNode(ctx: RequestContext, instanceId: string) {
  const row = await findInstance(ctx.services.db, ctx, instanceId);
  if (!row || row.deregistered_at !== null) {
    throw new ApiError(
      "InvalidInstanceId",
      `Managed node ${instanceId} is not registered in ${ctx.region}; check the id (DescribeInstanceInformation lists them).`,
    );
  }
  return row;
}

const nodeRef = (ctx: RequestContext, id: string) => ({ arn: nodeArn(ctx, id), tags: () => getTags(ctx.services.db, ctx, NODE_RESOURCE_TYPE, id) });

/**
 * The node is gone at once: its stored keys, policy and principal are deleted, this replica's cached
 * keys dropped (other replicas' caches expire within the credential cache time), its RSA key refused,
 * and deregistration listeners (the agent channels) told to close its connections.
 */
export const deregisterManagedInstance = op<DeregisterManagedInstanceRequest, object>({
  service: "ssm",
  name: "DeregisterManagedInstance",
  resources: (ctx, input) => [nodeRef(ctx, String(input.InstanceId))],
  async handle(ctx, input) {
    const row = await registeredNode(ctx, String(input.InstanceId));
    const now = ctx.now().getTime();
    // The node's row, credentials, tags and its event change together.
    const revoked = await ctx.services.transaction(async (tx) => {
      const done = await nodeDb(tx.db)
        .updateTable("nodes_instances")
        .set({ deregistered_at: now, principal_arn: null })
        .where("instance_id", "=", row.instance_id)
        .where("deregistered_at", "is", null)
        .executeTakeFirst();
      if (Number(done.numUpdatedRows) !== 1) throw new ApiError("InvalidInstanceId", `Managed node ${row.instance_id} was already deregistered.`);
      const principals = await deleteNodeCredentials(tx.db, row);
      await deleteAllTags(tx.db, ctx, NODE_RESOURCE_TYPE, row.instance_id);
      tx.publish({
        "detail-type": "SSM Managed Instance Registration",
        account: ctx.accountId,
        region: ctx.region,
        resources: [nodeArn(ctx, row.instance_id)],
        detail: { "instance-id": row.instance_id, state: "Deregistered" },
      });
      return principals;
    });
    for (const arn of revoked) invalidateCachedKeys(ctx.services, arn);
    forgetTouches(ctx.services, row.instance_id);
    announceNodeDeregistered(ctx.services, { accountId: ctx.accountId, region: ctx.region }, row.instance_id);
    return {};
  },
});

/** Records the node's new IAM role; its credentials carry the new role from their next refresh on. */
export const updateManagedInstanceRole = op<UpdateManagedInstanceRoleRequest, object>({
  service: "ssm",
  name: "UpdateManagedInstanceRole",
  resources: (ctx, input) => [nodeRef(ctx, String(input.InstanceId))],
  async handle(ctx, input) {
    const row = await registeredNode(ctx, String(input.InstanceId));
    const role = String(input.IamRole);
    if (role.trim() === "") throw new ApiError("ValidationException", "IamRole is empty; name the IAM role the node assumes.");
    await nodeDb(ctx.services.db).updateTable("nodes_instances").set({ iam_role: role }).where("instance_id", "=", row.instance_id).execute();
    return {};
  },
});

export const deregistrationOperations = [deregisterManagedInstance, updateManagedInstanceRole];
