import type {
  CreateOpsMetadataRequest,
  CreateOpsMetadataResult,
  DeleteOpsMetadataRequest,
  DeleteOpsMetadataResult,
  GetOpsMetadataRequest,
  GetOpsMetadataResult,
  ListOpsMetadataRequest,
  ListOpsMetadataResult,
  MetadataValue,
  UpdateOpsMetadataRequest,
  UpdateOpsMetadataResult,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { pageOf, pageRequest } from "../../http/paging.js";
import { requestTagKeys } from "../../iam/authorize.js";
import { ANY_RESOURCE, op, type RequestContext } from "../../runtime.js";
import { inScope, type Scope } from "../../storage/scope.js";
import { deleteAllTags, getTags, putTags, tagProblem } from "../tags/index.js";
import { date } from "./store.js";
import { type OpsMetadataRow, opsDb } from "./tables.js";

export const OPS_METADATA_TAG_TYPE = "OpsMetadata";
/** AWS's quota: OpsMetadata objects per account and region. */
export const MAX_OPS_METADATA = 200;

const invalid = (message: string) => new ApiError("OpsMetadataInvalidArgumentException", message);

/** Where an OpsMetadata object lives: Application Manager's form for a resource group, else the resource id itself. */
export function opsMetadataName(resourceId: string): string {
  const group = /^arn:aws[a-zA-Z-]*:resource-groups:[^:]*:[^:]*:group\/([^/]+)$/.exec(resourceId);
  if (group) return `aws/ssm/${group[1]}/appmanager`;
  const name = resourceId.replace(/^\/+/, "");
  if (!/^[a-zA-Z0-9-_./]+$/.test(name)) {
    throw invalid(`ResourceId ${resourceId} holds characters an OpsMetadata ARN cannot carry; use letters, digits, - _ . and /, or a resource group ARN.`);
  }
  return name;
}

export const opsMetadataArn = (scope: Scope, name: string) => `arn:aws:ssm:${scope.region}:${scope.accountId}:opsmetadata/${name}`;

/** The object an OpsMetadataArn names in the caller's account and region, or the error to answer. */
function nameOf(ctx: RequestContext, arn: string): string {
  const prefix = opsMetadataArn(ctx.scope, "");
  if (!arn.startsWith(prefix)) throw invalid(`OpsMetadataArn ${arn} is not in this account and region (${prefix}...).`);
  return arn.slice(prefix.length);
}

function getRow(ctx: RequestContext, name: string) {
  return opsDb(ctx.services.db).selectFrom("ops_metadata").selectAll().where(inScope(ctx.scope)).where("name", "=", name).executeTakeFirst();
}

async function onMetadata(ctx: RequestContext, arn: string | undefined) {
  const name = nameOf(ctx, String(arn));
  const row = await getRow(ctx, name);
  if (!row) throw new ApiError("OpsMetadataNotFoundException", `OpsMetadata ${arn} does not exist; ListOpsMetadata lists the objects.`);
  return {
    resources: [{ arn: opsMetadataArn(ctx.scope, name), tags: () => getTags(ctx.services.db, ctx.scope, OPS_METADATA_TAG_TYPE, name) }],
    prepared: row,
  };
}

const cleanMetadata = (m: Record<string, MetadataValue> | undefined) =>
  Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, { Value: v.Value }])) as Record<string, MetadataValue>;

export const createOpsMetadata = op<CreateOpsMetadataRequest, CreateOpsMetadataResult, string>({
  service: "ssm",
  name: "CreateOpsMetadata",
  resources(ctx, input) {
    const name = opsMetadataName(String(input.ResourceId));
    return { resources: [{ arn: opsMetadataArn(ctx.scope, name) }], context: requestTagKeys(input.Tags), prepared: name };
  },
  async handle(ctx, input, name) {
    const tags = (input.Tags ?? []).map((t) => ({ Key: String(t.Key), Value: String(t.Value ?? "") }));
    const problem = tagProblem({}, tags);
    if (problem) throw invalid(problem);
    const now = ctx.now().getTime();
    const resourceId = String(input.ResourceId);
    await ctx.transaction(async (tx) => {
      const d = opsDb(tx.db);
      const prior = await d
        .selectFrom("ops_metadata")
        .select(["name", "resource_id"])
        .where(inScope(ctx.scope))
        .where((eb) => eb.or([eb("name", "=", name), eb("resource_id", "=", resourceId)]))
        .executeTakeFirst();
      if (prior) {
        throw new ApiError(
          "OpsMetadataAlreadyExistsException",
          `OpsMetadata ${opsMetadataArn(ctx.scope, prior.name)} already exists for ${prior.resource_id}; update it (UpdateOpsMetadata) instead.`,
        );
      }
      const count = await d
        .selectFrom("ops_metadata")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where(inScope(ctx.scope))
        .executeTakeFirstOrThrow();
      if (Number(count.n) >= MAX_OPS_METADATA) {
        throw new ApiError(
          "OpsMetadataLimitExceededException",
          `This account already has ${MAX_OPS_METADATA} OpsMetadata objects in ${ctx.region}, the most allowed; delete one (DeleteOpsMetadata) first.`,
        );
      }
      await d
        .insertInto("ops_metadata")
        .values({
          account_id: ctx.accountId,
          region: ctx.region,
          name,
          resource_id: resourceId,
          metadata: JSON.stringify(cleanMetadata(input.Metadata)),
          version: 1,
          created_at: now,
          modified_by: ctx.principal.arn,
          modified_at: now,
        })
        .execute();
      if (tags.length) await putTags(tx.db, ctx.scope, OPS_METADATA_TAG_TYPE, name, tags);
    });
    return { OpsMetadataArn: opsMetadataArn(ctx.scope, name) };
  },
});

export const getOpsMetadata = op<GetOpsMetadataRequest, GetOpsMetadataResult, OpsMetadataRow>({
  service: "ssm",
  name: "GetOpsMetadata",
  readOnly: true,
  resources: (ctx, input) => onMetadata(ctx, input.OpsMetadataArn),
  async handle(ctx, input, row) {
    const all = JSON.parse(row.metadata) as Record<string, MetadataValue>;
    const page = pageOf(ctx, Object.keys(all), (k) => k, input, { query: [row.name], defaultSize: 10 });
    return { ResourceId: row.resource_id, Metadata: Object.fromEntries(page.items.map((k) => [k, all[k]])), NextToken: page.nextToken };
  },
});

export const updateOpsMetadata = op<UpdateOpsMetadataRequest, UpdateOpsMetadataResult, OpsMetadataRow>({
  service: "ssm",
  name: "UpdateOpsMetadata",
  resources: (ctx, input) => onMetadata(ctx, input.OpsMetadataArn),
  async handle(ctx, input, row) {
    const toDelete = input.KeysToDelete ?? [];
    const updates = cleanMetadata(input.MetadataToUpdate);
    if (!toDelete.length && !Object.keys(updates).length) throw invalid("Give MetadataToUpdate, KeysToDelete or both: there is nothing to change.");
    const both = toDelete.filter((k) => k in updates);
    if (both.length) throw invalid(`Keys ${both.join(", ")} are both updated and deleted; give each key in one of the two.`);
    const metadata = JSON.parse(row.metadata) as Record<string, MetadataValue>;
    const absent = toDelete.filter((k) => !(k in metadata));
    if (absent.length) throw invalid(`KeysToDelete names keys the object does not have: ${absent.join(", ")}.`);
    for (const k of toDelete) delete metadata[k];
    Object.assign(metadata, updates);
    await ctx.transaction(async (tx) => {
      const res = await opsDb(tx.db)
        .updateTable("ops_metadata")
        .set({ metadata: JSON.stringify(metadata), version: row.version + 1, modified_by: ctx.principal.arn, modified_at: ctx.now().getTime() })
        .where(inScope(ctx.scope))
        .where("name", "=", row.name)
        .where("version", "=", row.version)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) {
        throw new ApiError("OpsMetadataTooManyUpdatesException", `OpsMetadata ${opsMetadataArn(ctx.scope, row.name)} changed while this update ran; retry.`);
      }
    });
    return { OpsMetadataArn: opsMetadataArn(ctx.scope, row.name) };
  },
});

export const deleteOpsMetadata = op<DeleteOpsMetadataRequest, DeleteOpsMetadataResult, OpsMetadataRow>({
  service: "ssm",
  name: "DeleteOpsMetadata",
  resources: (ctx, input) => onMetadata(ctx, input.OpsMetadataArn),
  async handle(ctx, _input, row) {
    await ctx.transaction(async (tx) => {
      await opsDb(tx.db).deleteFrom("ops_metadata").where(inScope(ctx.scope)).where("name", "=", row.name).execute();
      await deleteAllTags(tx.db, ctx.scope, OPS_METADATA_TAG_TYPE, row.name);
    });
    return {};
  },
});

export const listOpsMetadata = op<ListOpsMetadataRequest, ListOpsMetadataResult>({
  service: "ssm",
  name: "ListOpsMetadata",
  readOnly: true,
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    const resourceIds: string[] = [];
    for (const f of input.Filters ?? []) {
      if (f.Key !== "ResourceId") throw invalid(`openssm filters OpsMetadata by ResourceId only; ${f.Key} is not a filter it knows.`);
      resourceIds.push(...(f.Values ?? []));
    }
    const page = pageRequest(ctx, input, { query: resourceIds, defaultSize: 50 });
    let q = opsDb(ctx.services.db).selectFrom("ops_metadata").selectAll().where(inScope(ctx.scope));
    if (resourceIds.length) q = q.where("resource_id", "in", resourceIds);
    if (page.after !== undefined) q = q.where("name", ">", page.after);
    const rows = await q
      .orderBy("name")
      .limit(page.size + 1)
      .execute();
    const { items, nextToken } = page.finish(rows, (r) => r.name);
    return {
      OpsMetadataList: items.map((r) => ({
        OpsMetadataArn: opsMetadataArn(ctx.scope, r.name),
        ResourceId: r.resource_id,
        CreationDate: date(r.created_at),
        LastModifiedDate: date(r.modified_at),
        LastModifiedUser: r.modified_by,
      })),
      NextToken: nextToken,
    };
  },
});
