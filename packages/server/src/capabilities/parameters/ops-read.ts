import type {
  GetParameterHistoryRequest,
  GetParameterHistoryResult,
  GetParameterRequest,
  GetParameterResult,
  GetParametersRequest,
  GetParametersResult,
  Parameter,
  ParameterHistory,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { op, type RequestContext } from "../../runtime.js";
import { reference, requireHead, resolveVersion, resourceOf } from "./lookup.js";
import { isNumber, pageRequest } from "../../http/paging.js";
import { inlinePolicies } from "./policies.js";
import { labelsByVersion, listVersions, pdb } from "./store.js";
import { parameterArn, presentValue, toParameter } from "./values.js";

const HISTORY_DEFAULT_RESULTS = 50;

/** Reads one parameter version by name, ARN, `name:version` or `name:label`. */
export async function getOne(ctx: RequestContext, input: string, withDecryption: boolean): Promise<Parameter> {
  const ref = reference(ctx, input);
  const { head, row } = await resolveVersion(ctx, ref);
  return toParameter(ctx, head, row, withDecryption, ref.selector);
}

export const getParameter = op<GetParameterRequest, GetParameterResult>({
  service: "ssm",
  name: "GetParameter",
  readOnly: true,
  resources: (ctx, input) => [resourceOf(ctx, String(input.Name))],
  handle: async (ctx, input) => ({ Parameter: await getOne(ctx, String(input.Name), Boolean(input.WithDecryption)) }),
});

export const getParameters = op<GetParametersRequest, GetParametersResult>({
  service: "ssm",
  name: "GetParameters",
  readOnly: true,
  resources: (ctx, input) => (input.Names ?? []).map((n) => resourceOf(ctx, String(n))),
  async handle(ctx, input) {
    const names = [...new Set((input.Names ?? []).map(String))];
    const found: Parameter[] = [];
    const invalid: string[] = [];
    for (const name of names) {
      try {
        found.push(await getOne(ctx, name, Boolean(input.WithDecryption)));
      } catch (e) {
        if (e instanceof ApiError && (e.code === "ParameterNotFound" || e.code === "ParameterVersionNotFound")) invalid.push(name);
        else throw e;
      }
    }
    return { Parameters: found, InvalidParameters: invalid };
  },
});

export const getParameterHistory = op<GetParameterHistoryRequest, GetParameterHistoryResult>({
  service: "ssm",
  name: "GetParameterHistory",
  readOnly: true,
  resources: (ctx, input) => [resourceOf(ctx, String(input.Name))],
  async handle(ctx, input) {
    const ref = reference(ctx, String(input.Name));
    if (ref.selector) {
      throw new ApiError("ValidationException", `GetParameterHistory takes a parameter name without a version or label; remove ":${ref.selector.text}".`);
    }
    const head = await requireHead(ctx, ref);
    const paging = pageRequest<number>(ctx, input, { query: head.name_key, defaultSize: HISTORY_DEFAULT_RESULTS, isKey: isNumber });
    const d = pdb(ctx.services.db);
    const rows = await listVersions(d, ctx, head.name_key, paging.after ?? 0, paging.size + 1);
    const { items: page, nextToken } = paging.finish(rows, (row) => Number(row.version));
    const labels = await labelsByVersion(d, ctx, head.name_key);
    const arn = parameterArn(ctx, head.name_key);
    const withDecryption = Boolean(input.WithDecryption);
    const items: ParameterHistory[] = [];
    for (const row of page) {
      items.push({
        Name: head.name,
        Type: row.type as ParameterHistory["Type"],
        KeyId: row.key_id ?? undefined,
        LastModifiedDate: new Date(Number(row.last_modified_date)),
        LastModifiedUser: row.last_modified_user,
        Description: row.description ?? undefined,
        Value: await presentValue(ctx, row, arn, withDecryption),
        AllowedPattern: row.allowed_pattern ?? undefined,
        Version: Number(row.version),
        Labels: labels.get(Number(row.version)) ?? [],
        Tier: row.tier as ParameterHistory["Tier"],
        Policies: inlinePolicies(row.policies),
        DataType: row.data_type,
      });
    }
    return { Parameters: items, NextToken: nextToken };
  },
});

/**
 * Reads a parameter for another capability on the caller's behalf (checks ssm:GetParameters on it).
 * Accepts name, name:version, name:label, ARN. Throws ParameterNotFound / ParameterVersionNotFound.
 */
export async function readParameter(
  ctx: RequestContext,
  ref: string,
  opts: { withDecryption: boolean },
): Promise<{ name: string; type: string; value: string; version: number; arn: string }> {
  await ctx.authorize("ssm:GetParameters", [resourceOf(ctx, ref)]);
  const p = await getOne(ctx, ref, opts.withDecryption);
  return { name: String(p.Name), type: String(p.Type), value: String(p.Value ?? ""), version: Number(p.Version), arn: String(p.ARN) };
}
