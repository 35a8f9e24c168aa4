import { randomUUID } from "node:crypto";
import type {
  Activation,
  CreateActivationRequest,
  CreateActivationResult,
  DeleteActivationRequest,
  DescribeActivationsRequest,
  DescribeActivationsResult,
  Tag,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { ANY_RESOURCE, op, type RequestContext } from "../../runtime.js";
import { tagProblem } from "../tags/store.js";
import { hashActivationCode, newActivationCode } from "./ids.js";
import { pageRequest } from "../../http/paging.js";
import { type ActivationRow, nodeDb } from "./tables.js";
import { inScope } from "../../storage/scope.js";

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_ACTIVATION_LIFETIME_MS = DAY_MS;
export const MAX_ACTIVATION_LIFETIME_MS = 30 * DAY_MS;

const activationArn = (ctx: RequestContext, id: string) => ctx.arn("ssm", `activation/${id}`);

/** A timestamp member as it arrives on the wire: epoch seconds (JSON 1.1), or an ISO string. */
function epochMs(value: unknown): number {
  if (typeof value === "number") return value * 1000;
  if (value instanceof Date) return value.getTime();
  return Date.parse(String(value));
}

function expirationOf(ctx: RequestContext, given: unknown): number {
  const now = ctx.now().getTime();
  if (given === undefined || given === null) return now + DEFAULT_ACTIVATION_LIFETIME_MS;
  const at = epochMs(given);
  if (Number.isNaN(at)) throw new ApiError("InvalidParameters", "ExpirationDate is not a valid timestamp.");
  if (at <= now)
    throw new ApiError(
      "InvalidParameters",
      `ExpirationDate ${new Date(at).toISOString()} is in the past; give a time in the future, at most 30 days from now.`,
    );
  if (at > now + MAX_ACTIVATION_LIFETIME_MS) {
    throw new ApiError(
      "InvalidParameters",
      `ExpirationDate ${new Date(at).toISOString()} is more than 30 days from now; an activation can be valid for at most 30 days.`,
    );
  }
  return at;
}

function toActivation(row: ActivationRow, now: number): Activation {
  return {
    ActivationId: row.activation_id,
    Description: row.description ?? undefined,
    DefaultInstanceName: row.default_instance_name ?? undefined,
    IamRole: row.iam_role,
    RegistrationLimit: row.registration_limit,
    RegistrationsCount: row.registrations_count,
    ExpirationDate: new Date(row.expiration_date),
    Expired: row.expiration_date <= now,
    CreatedDate: new Date(row.created_date),
    Tags: JSON.parse(row.tags) as Tag[],
  };
}

export const createActivation = op<CreateActivationRequest, CreateActivationResult>({
  service: "ssm",
  name: "CreateActivation",
  resources: (ctx) => [{ arn: activationArn(ctx, "*") }],
  async handle(ctx, input) {
    const now = ctx.now().getTime();
    const expiration = expirationOf(ctx, input.ExpirationDate);
    const tags = (input.Tags ?? []).map((t) => ({ Key: String(t.Key), Value: String(t.Value ?? "") }));
    const problem = tagProblem({}, tags);
    if (problem) throw new ApiError("InvalidParameters", problem);
    if (new Set(tags.map((t) => t.Key)).size !== tags.length) throw new ApiError("InvalidParameters", "Tags repeats a tag key; give each key once.");
    const iamRole = String(input.IamRole ?? "");
    if (iamRole.trim() === "")
      throw new ApiError("InvalidParameters", "IamRole is empty; name the IAM role the registered nodes assume (for example SSMServiceRole).");
    const activationId = randomUUID();
    const code = newActivationCode();
    // The activation and its event commit together.
    await ctx.services.transaction(async (tx) => {
      await nodeDb(tx.db)
        .insertInto("nodes_activations")
        .values({
          activation_id: activationId,
          account_id: ctx.accountId,
          region: ctx.region,
          code_hash: hashActivationCode(code),
          description: input.Description ?? null,
          default_instance_name: input.DefaultInstanceName ?? null,
          iam_role: iamRole,
          registration_limit: input.RegistrationLimit ?? 1,
          registrations_count: 0,
          expiration_date: expiration,
          created_date: now,
          tags: JSON.stringify(tags),
          registration_metadata: JSON.stringify(input.RegistrationMetadata ?? []),
          deleted_at: null,
        })
        .execute();
      tx.publish({
        "detail-type": "SSM Activation State Change",
        account: ctx.accountId,
        region: ctx.region,
        resources: [activationArn(ctx, activationId)],
        detail: { "activation-id": activationId, state: "Created", "iam-role": iamRole, "registration-limit": input.RegistrationLimit ?? 1 },
      });
    });
    return { ActivationId: activationId, ActivationCode: code };
  },
});

interface ActivationPosition {
  c: number;
  id: string;
}

const isActivationPosition = (k: unknown): k is ActivationPosition =>
  typeof (k as ActivationPosition)?.c === "number" && typeof (k as ActivationPosition)?.id === "string";

export const describeActivations = op<DescribeActivationsRequest, DescribeActivationsResult>({
  service: "ssm",
  name: "DescribeActivations",
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    let q = nodeDb(ctx.services.db).selectFrom("nodes_activations").selectAll().where(inScope(ctx)).where("deleted_at", "is", null);
    for (const f of input.Filters ?? []) {
      const values = (f.FilterValues ?? []).map(String);
      if (values.length === 0) throw new ApiError("InvalidFilter", `The filter ${f.FilterKey} has no FilterValues; give at least one value.`);
      if (f.FilterKey === "ActivationIds") q = q.where("activation_id", "in", values);
      else if (f.FilterKey === "DefaultInstanceName") q = q.where("default_instance_name", "in", values);
      else if (f.FilterKey === "IamRole") q = q.where("iam_role", "in", values);
      else throw new ApiError("InvalidFilter", `Unknown filter key ${f.FilterKey}; use ActivationIds, DefaultInstanceName or IamRole.`);
    }
    const paging = pageRequest<ActivationPosition>(ctx, input, { query: input.Filters ?? null, defaultSize: 50, isKey: isActivationPosition });
    const after = paging.after;
    if (after) q = q.where((eb) => eb.or([eb("created_date", ">", after.c), eb.and([eb("created_date", "=", after.c), eb("activation_id", ">", after.id)])]));
    const rows = await q
      .orderBy("created_date")
      .orderBy("activation_id")
      .limit(paging.size + 1)
      .execute();
    const { items, nextToken } = paging.finish(rows, (r) => ({ c: Number(r.created_date), id: r.activation_id }));
    const now = ctx.now().getTime();
    return { ActivationList: items.map((r) => toActivation(r, now)), NextToken: nextToken };
  },
});

export const deleteActivation = op<DeleteActivationRequest, object>({
  service: "ssm",
  name: "DeleteActivation",
  resources: (ctx, input) => [{ arn: activationArn(ctx, String(input.ActivationId)) }],
  async handle(ctx, input) {
    const id = String(input.ActivationId);
    const db = nodeDb(ctx.services.db);
    const row = await db
      .selectFrom("nodes_activations")
      .select(["activation_id", "deleted_at"])
      .where("activation_id", "=", id)
      .where(inScope(ctx))
      .executeTakeFirst();
    if (!row)
      throw new ApiError("InvalidActivationId", `Activation ${id} does not exist in ${ctx.region}; check the ActivationId (DescribeActivations lists them).`);
    if (row.deleted_at !== null) throw new ApiError("InvalidActivation", `Activation ${id} was already deleted.`);
    const now = ctx.now().getTime();
    // Deleted once (two concurrent deletes: the second is refused) and its event with it.
    await ctx.services.transaction(async (tx) => {
      const done = await nodeDb(tx.db)
        .updateTable("nodes_activations")
        .set({ deleted_at: now })
        .where("activation_id", "=", id)
        .where("deleted_at", "is", null)
        .executeTakeFirst();
      if (Number(done.numUpdatedRows) !== 1) throw new ApiError("InvalidActivation", `Activation ${id} was already deleted.`);
      tx.publish({
        "detail-type": "SSM Activation State Change",
        account: ctx.accountId,
        region: ctx.region,
        resources: [activationArn(ctx, id)],
        detail: { "activation-id": id, state: "Deleted" },
      });
    });
    return {};
  },
});

export const activationOperations = [createActivation, describeActivations, deleteActivation];
