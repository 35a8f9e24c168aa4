import { randomUUID } from "node:crypto";
import type {
  DeleteInventoryRequest,
  DeleteInventoryResult,
  DescribeInventoryDeletionsRequest,
  DescribeInventoryDeletionsResult,
  InventoryDeletionSummary,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { isNumberAndString, pageRequest } from "../../http/paging.js";
import { ANY_RESOURCE, op } from "../../runtime.js";
import {
  countsByVersion,
  deleteCustomSchema,
  deleteTypeData,
  type DeletionRow,
  getCustomSchema,
  listDeletions,
  putCustomSchema,
  recordDeletion,
} from "./store.js";

function summary(counts: { version: string; count: number }[], deleted: boolean): InventoryDeletionSummary {
  const total = counts.reduce((n, c) => n + c.count, 0);
  return {
    TotalCount: total,
    RemainingCount: deleted ? 0 : total,
    SummaryItems: counts.map((c) => ({ Version: c.version, Count: c.count, RemainingCount: deleted ? 0 : c.count })),
  };
}

/** DeleteInventory: removes a Custom: type's data from every node, and its schema (DeleteSchema) or disables it (DisableSchema). */
export const deleteInventory = op<DeleteInventoryRequest, DeleteInventoryResult>({
  service: "ssm",
  name: "DeleteInventory",
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    const typeName = String(input.TypeName);
    if (!typeName.startsWith("Custom:")) {
      throw new ApiError("InvalidTypeNameException", `Only Custom: inventory types can be deleted; ${typeName} is collected by the agents.`);
    }
    const schema = await getCustomSchema(ctx.services.db, ctx, typeName);
    if (!schema) throw new ApiError("InvalidTypeNameException", `${typeName} is not an inventory type of this account: see GetInventorySchema.`);
    const option = input.SchemaDeleteOption;
    if (!input.DryRun && !option) {
      throw new ApiError(
        "InvalidOptionException",
        "Give SchemaDeleteOption DeleteSchema (remove the type) or DisableSchema (keep refusing its current version), or DryRun.",
      );
    }
    const counts = await countsByVersion(ctx.services.db, ctx, typeName);
    const deletionId = randomUUID();
    if (input.DryRun) return { DeletionId: deletionId, TypeName: typeName, DeletionSummary: summary(counts, false) };
    const now = ctx.services.clock.now();
    const done = summary(counts, true);
    await ctx.transaction(async (tx) => {
      await deleteTypeData(tx.db, ctx, typeName);
      if (option === "DeleteSchema") await deleteCustomSchema(tx.db, ctx, typeName);
      else await putCustomSchema(tx.db, ctx, { ...schema, disabled_version: schema.version });
      await recordDeletion(tx.db, {
        deletion_id: deletionId,
        account_id: ctx.accountId,
        region: ctx.region,
        type_name: typeName,
        started_at: now,
        last_status: "Complete",
        last_status_message: `Deleted the ${typeName} data of ${done.TotalCount} node${done.TotalCount === 1 ? "" : "s"} (${option}).`,
        summary: JSON.stringify(done),
        updated_at: now,
      });
    });
    return { DeletionId: deletionId, TypeName: typeName, DeletionSummary: done };
  },
});

const view = (r: DeletionRow) => ({
  DeletionId: r.deletion_id,
  TypeName: r.type_name,
  DeletionStartTime: new Date(r.started_at),
  LastStatus: r.last_status as "Complete",
  LastStatusMessage: r.last_status_message,
  DeletionSummary: JSON.parse(r.summary) as InventoryDeletionSummary,
  LastStatusUpdateTime: new Date(r.updated_at),
});

/** DescribeInventoryDeletions: the DeleteInventory calls of this account, newest first. */
export const describeInventoryDeletions = op<DescribeInventoryDeletionsRequest, DescribeInventoryDeletionsResult>({
  service: "ssm",
  name: "DescribeInventoryDeletions",
  resources: ANY_RESOURCE,
  readOnly: true,
  async handle(ctx, input) {
    const paging = pageRequest<[number, string]>(ctx, input, { query: input.DeletionId ?? null, defaultSize: 10, isKey: isNumberAndString });
    const rows = await listDeletions(ctx.services.db, ctx, { deletionId: input.DeletionId, before: paging.after, limit: paging.size + 1 });
    if (input.DeletionId && rows.length === 0 && paging.after === undefined) {
      throw new ApiError("InvalidDeletionIdException", `There is no inventory deletion ${input.DeletionId} in this account and region.`);
    }
    const page = paging.finish(rows, (r) => [r.started_at, r.deletion_id] as [number, string]);
    return { InventoryDeletions: page.items.map(view), NextToken: page.nextToken };
  },
});
