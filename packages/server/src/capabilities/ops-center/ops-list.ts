import type {
  AssociateOpsItemRelatedItemRequest,
  AssociateOpsItemRelatedItemResponse,
  DescribeOpsItemsRequest,
  DescribeOpsItemsResponse,
  DisassociateOpsItemRelatedItemRequest,
  DisassociateOpsItemRelatedItemResponse,
  ListOpsItemEventsRequest,
  ListOpsItemEventsResponse,
  ListOpsItemRelatedItemsRequest,
  ListOpsItemRelatedItemsResponse,
  OpsItemRelatedItemSummary,
} from "@aws-sdk/client-ssm";
import { randomUUID } from "node:crypto";
import { ApiError } from "../../errors.js";
import { isNumberAndString, pageOf, pageRequest } from "../../http/paging.js";
import { ANY_RESOURCE, op } from "../../runtime.js";
import { inScope } from "../../storage/scope.js";
import { opsItemPredicate, sqlCondition } from "./filters.js";
import { onOpsItem, opsItemRef } from "./ops-items.js";
import { recordTimeline } from "./timeline.js";
import { date, invalidParameter, opsItemSummary, requireOpsItem } from "./store.js";
import { type OpsItemRow, opsDb, type RelatedItemRow } from "./tables.js";

export const describeOpsItems = op<DescribeOpsItemsRequest, DescribeOpsItemsResponse>({
  service: "ssm",
  name: "DescribeOpsItems",
  readOnly: true,
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    const filters = input.OpsItemFilters ?? [];
    // Checks every filter's key and operator (ValidationException) before any query.
    const matches = opsItemPredicate(filters);
    const conditions = filters.map(sqlCondition);
    let q = opsDb(ctx.services.db).selectFrom("ops_items").selectAll().where(inScope(ctx.scope));
    for (const c of conditions) if (c) q = q.where(c);
    const query = filters.map((f) => [f.Key, f.Operator, f.Values]);
    // Newest first, as OpsCenter lists them; the key (creation time, id) never shifts between pages.
    if (conditions.every((c) => c !== undefined)) {
      // Every filter is a column condition: the page is read in SQL.
      const page = pageRequest<[number, string]>(ctx, input, { query, defaultSize: 10, isKey: isNumberAndString });
      const after = page.after;
      if (after) q = q.where((eb) => eb.or([eb("created_at", "<", after[0]), eb.and([eb("created_at", "=", after[0]), eb("ops_item_id", "<", after[1])])]));
      const rows = await q
        .orderBy("created_at", "desc")
        .orderBy("ops_item_id", "desc")
        .limit(page.size + 1)
        .execute();
      const { items, nextToken } = page.finish(rows, (r) => [Number(r.created_at), r.ops_item_id]);
      return { OpsItemSummaries: items.map((r) => opsItemSummary(ctx.scope, r)), NextToken: nextToken };
    }
    // Contains, operational data, resources: SQL narrows by the other filters, the predicate decides.
    const rows = await q.execute();
    const key = (r: OpsItemRow) => `${String(Number(r.created_at)).padStart(15, "0")}|${r.ops_item_id}`;
    const page = pageOf(ctx, rows.filter(matches), key, input, { query, defaultSize: 10, descending: true });
    return { OpsItemSummaries: page.items.map((r) => opsItemSummary(ctx.scope, r)), NextToken: page.nextToken };
  },
});

export const listOpsItemEvents = op<ListOpsItemEventsRequest, ListOpsItemEventsResponse>({
  service: "ssm",
  name: "ListOpsItemEvents",
  readOnly: true,
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    const ids: string[] = [];
    for (const f of input.Filters ?? []) ids.push(...(f.Values ?? []));
    const page = pageRequest<[number, string]>(ctx, input, { query: ids, defaultSize: 50, isKey: isNumberAndString });
    let q = opsDb(ctx.services.db).selectFrom("ops_item_events").selectAll().where(inScope(ctx.scope));
    if (ids.length) q = q.where("ops_item_id", "in", ids);
    const after = page.after;
    if (after) q = q.where((eb) => eb.or([eb("created_at", "<", after[0]), eb.and([eb("created_at", "=", after[0]), eb("event_id", "<", after[1])])]));
    const rows = await q
      .orderBy("created_at", "desc")
      .orderBy("event_id", "desc")
      .limit(page.size + 1)
      .execute();
    const { items, nextToken } = page.finish(rows, (r) => [Number(r.created_at), r.event_id]);
    return {
      Summaries: items.map((e) => ({
        OpsItemId: e.ops_item_id,
        EventId: e.event_id,
        Source: e.source,
        DetailType: e.detail_type,
        Detail: e.detail,
        CreatedBy: { Arn: e.created_by },
        CreatedTime: date(e.created_at),
      })),
      NextToken: nextToken,
    };
  },
});

/** The resource types an OpsItem relates to, as AWS lists them for AssociateOpsItemRelatedItem. */
const RELATED_RESOURCE_TYPES = new Set(["AWS::SSMIncidents::IncidentRecord", "AWS::SSM::Document"]);
const ASSOCIATION_TYPES = new Set(["IsParentOf", "RelatesTo"]);

function relatedView(r: RelatedItemRow): OpsItemRelatedItemSummary {
  return {
    OpsItemId: r.ops_item_id,
    AssociationId: r.association_id,
    AssociationType: r.association_type,
    ResourceType: r.resource_type,
    ResourceUri: r.resource_uri,
    CreatedBy: { Arn: r.created_by },
    CreatedTime: date(r.created_at),
    LastModifiedBy: { Arn: r.created_by },
    LastModifiedTime: date(r.created_at),
  };
}

export const associateOpsItemRelatedItem = op<AssociateOpsItemRelatedItemRequest, AssociateOpsItemRelatedItemResponse, OpsItemRow>({
  service: "ssm",
  name: "AssociateOpsItemRelatedItem",
  resources: (ctx, input) => onOpsItem(ctx, input.OpsItemId),
  async handle(ctx, input, item) {
    const resourceType = String(input.ResourceType);
    const associationType = String(input.AssociationType);
    if (!RELATED_RESOURCE_TYPES.has(resourceType)) {
      throw invalidParameter(["ResourceType"], `ResourceType ${resourceType} is not one of ${[...RELATED_RESOURCE_TYPES].join(", ")}.`);
    }
    if (!ASSOCIATION_TYPES.has(associationType)) {
      throw invalidParameter(["AssociationType"], `AssociationType ${associationType} is not one of ${[...ASSOCIATION_TYPES].join(", ")}.`);
    }
    const uri = String(input.ResourceUri);
    const now = ctx.now().getTime();
    const row: RelatedItemRow = {
      association_id: randomUUID(),
      ops_item_id: item.ops_item_id,
      account_id: ctx.accountId,
      region: ctx.region,
      association_type: associationType,
      resource_type: resourceType,
      resource_uri: uri,
      created_by: ctx.principal.arn,
      created_at: now,
    };
    await ctx.transaction(async (tx) => {
      const d = opsDb(tx.db);
      const prior = await d
        .selectFrom("ops_item_related")
        .select("association_id")
        .where("ops_item_id", "=", item.ops_item_id)
        .where("resource_uri", "=", uri)
        .where("association_type", "=", associationType)
        .executeTakeFirst();
      if (prior) {
        throw new ApiError(
          "OpsItemRelatedItemAlreadyExistsException",
          `OpsItem ${item.ops_item_id} is already associated with ${uri} (${associationType}, association ${prior.association_id}).`,
          400,
          { ResourceUri: uri, OpsItemId: item.ops_item_id },
        );
      }
      await d.insertInto("ops_item_related").values(row).execute();
      await recordTimeline(
        tx.db,
        ctx.scope,
        item,
        "OpsItem Related Item Associated",
        { opsItemId: item.ops_item_id, associationId: row.association_id, associationType, resourceType, resourceUri: uri },
        ctx.principal.arn,
        now,
      );
    });
    return { AssociationId: row.association_id };
  },
});

export const disassociateOpsItemRelatedItem = op<DisassociateOpsItemRelatedItemRequest, DisassociateOpsItemRelatedItemResponse, OpsItemRow>({
  service: "ssm",
  name: "DisassociateOpsItemRelatedItem",
  resources: (ctx, input) => onOpsItem(ctx, input.OpsItemId),
  async handle(ctx, input, item) {
    const associationId = String(input.AssociationId);
    await ctx.transaction(async (tx) => {
      const d = opsDb(tx.db);
      const row = await d
        .selectFrom("ops_item_related")
        .selectAll()
        .where("ops_item_id", "=", item.ops_item_id)
        .where("association_id", "=", associationId)
        .executeTakeFirst();
      if (!row) {
        throw new ApiError(
          "OpsItemRelatedItemAssociationNotFoundException",
          `OpsItem ${item.ops_item_id} has no related item association ${associationId}; ListOpsItemRelatedItems lists them.`,
        );
      }
      await d.deleteFrom("ops_item_related").where("association_id", "=", associationId).execute();
      await recordTimeline(
        tx.db,
        ctx.scope,
        item,
        "OpsItem Related Item Disassociated",
        { opsItemId: item.ops_item_id, associationId, resourceUri: row.resource_uri },
        ctx.principal.arn,
        ctx.now().getTime(),
      );
    });
    return {};
  },
});

export const listOpsItemRelatedItems = op<ListOpsItemRelatedItemsRequest, ListOpsItemRelatedItemsResponse>({
  service: "ssm",
  name: "ListOpsItemRelatedItems",
  readOnly: true,
  async resources(ctx, input) {
    if (input.OpsItemId === undefined) return { resources: ANY_RESOURCE(), prepared: undefined };
    await requireOpsItem(ctx.services.db, ctx.scope, input.OpsItemId);
    return { resources: [opsItemRef(ctx, input.OpsItemId)], prepared: undefined };
  },
  async handle(ctx, input) {
    const filters: Record<string, string[]> = {};
    for (const f of input.Filters ?? []) (filters[String(f.Key)] ??= []).push(...(f.Values ?? []));
    const page = pageRequest(ctx, input, { query: [input.OpsItemId ?? null, filters], defaultSize: 50 });
    let q = opsDb(ctx.services.db).selectFrom("ops_item_related").selectAll().where(inScope(ctx.scope));
    if (input.OpsItemId !== undefined) q = q.where("ops_item_id", "=", input.OpsItemId);
    if (filters.ResourceType) q = q.where("resource_type", "in", filters.ResourceType);
    if (filters.AssociationId) q = q.where("association_id", "in", filters.AssociationId);
    if (filters.ResourceUri) q = q.where("resource_uri", "in", filters.ResourceUri);
    if (page.after !== undefined) q = q.where("association_id", ">", page.after);
    const rows = await q
      .orderBy("association_id")
      .limit(page.size + 1)
      .execute();
    const { items, nextToken } = page.finish(rows, (r) => r.association_id);
    return { Summaries: items.map(relatedView), NextToken: nextToken };
  },
});
