import { ApiError } from "../../errors.js";
import type { Capability } from "../../runtime.js";
import { inScope } from "../../storage/scope.js";
import { createOpsItem, deleteOpsItem, getOpsItemOp, updateOpsItem } from "./ops-items.js";
import { associateOpsItemRelatedItem, describeOpsItems, disassociateOpsItemRelatedItem, listOpsItemEvents, listOpsItemRelatedItems } from "./ops-list.js";
import {
  createOpsMetadata,
  deleteOpsMetadata,
  getOpsMetadata,
  listOpsMetadata,
  OPS_METADATA_TAG_TYPE,
  opsMetadataArn,
  updateOpsMetadata,
} from "./ops-metadata.js";
import { deleteResourcePolicy, getResourcePolicies, putResourcePolicy } from "./ops-resource-policies.js";
import { getOpsSummary } from "./ops-summary.js";
import { startRules, stopRules } from "./rule-runner.js";
import { getOpsItem, OPS_ITEM_TAG_TYPE, opsItemArn } from "./store.js";
import { opsCenterMigrations, opsDb } from "./tables.js";

export { insertOpsItem } from "./create.js";
export { openOpsItem, opsItemRowOf } from "./ops-items.js";
export { OPS_ITEM_TAG_TYPE, opsItemArn } from "./store.js";

/**
 * OpsCenter: OpsItems (create with deduplication, get, update, delete, describe with filters), their
 * timeline (ListOpsItemEvents) and related items; OpsMetadata; GetOpsSummary over OpsItems and
 * inventory; resource policies of the OpsItemGroup and of parameters; and the rules that open
 * OpsItems on their own from openssm's events (rules.ts, rule-runner.ts).
 */
export const opsCenterCapability: Capability = {
  name: "ops-center",
  migrations: opsCenterMigrations,
  operations: [
    createOpsItem,
    getOpsItemOp,
    updateOpsItem,
    deleteOpsItem,
    describeOpsItems,
    listOpsItemEvents,
    associateOpsItemRelatedItem,
    disassociateOpsItemRelatedItem,
    listOpsItemRelatedItems,
    createOpsMetadata,
    getOpsMetadata,
    updateOpsMetadata,
    deleteOpsMetadata,
    listOpsMetadata,
    getOpsSummary,
    putResourcePolicy,
    getResourcePolicies,
    deleteResourcePolicy,
  ],
  async stop(services) {
    await stopRules(services);
  },
  start(services) {
    startRules(services);
    services.taggable.set(OPS_ITEM_TAG_TYPE, {
      async resolve(ctx, resourceId) {
        const row = await getOpsItem(ctx.services.db, ctx.scope, resourceId);
        if (!row) throw new ApiError("InvalidResourceId", `OpsItem ${resourceId} does not exist in ${ctx.region}; check the ResourceId.`);
        return { id: row.ops_item_id, arn: opsItemArn(ctx.scope, row.ops_item_id) };
      },
    });
    // AWS's ResourceId for tagging an OpsMetadata object: what follows opsmetadata/ in its ARN.
    services.taggable.set(OPS_METADATA_TAG_TYPE, {
      async resolve(ctx, resourceId) {
        const name = resourceId.replace(/^\/+/, "");
        const row = await opsDb(ctx.services.db)
          .selectFrom("ops_metadata")
          .select("name")
          .where(inScope(ctx.scope))
          .where("name", "=", name)
          .executeTakeFirst();
        if (!row)
          throw new ApiError("InvalidResourceId", `OpsMetadata ${resourceId} does not exist in ${ctx.region}; give what follows opsmetadata/ in its ARN.`);
        return { id: row.name, arn: opsMetadataArn(ctx.scope, row.name) };
      },
    });
  },
};
