import type {
  DescribeParametersRequest,
  DescribeParametersResult,
  GetParametersByPathRequest,
  GetParametersByPathResult,
  Parameter,
  ParameterMetadata,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { op, type RequestContext, type ResourceRef } from "../../runtime.js";
import { accessDenied } from "../../iam/authorize.js";
import { checkFilters, type Filter, fromLegacyFilters } from "./filters.js";
import { listPage } from "./listing.js";
import { parameterResource } from "./lookup.js";
import { checkPath, isReservedPath, type Selector } from "./names.js";
import { pageRequest } from "../../http/paging.js";
import { inlinePolicies } from "./policies.js";
import { getVersion, type HeadRow, labelsByVersion, pdb, scanParameters } from "./store.js";
import { parameterArn, toParameter } from "./values.js";

const DEFAULT_PAGE = 10;

/** Pushes a Type=Equals filter down into the query. */
function typesOf(filters: Filter[]): string[] | undefined {
  const f = filters.find((x) => x.key === "Type" && x.option === "Equals");
  return f?.values;
}

export const getParametersByPath = op<GetParametersByPathRequest, GetParametersByPathResult>({
  service: "ssm",
  name: "GetParametersByPath",
  readOnly: true,
  // Authorized per parameter in handle: the caller sees what the path or the parameter allows.
  listing: true,
  async handle(ctx, input) {
    const path = checkPath(String(input.Path));
    const filters = checkFilters(input.ParameterFilters, "GetParametersByPath");
    const recursive = Boolean(input.Recursive);
    const paging = pageRequest(ctx, input, { query: [path, recursive, filters], defaultSize: DEFAULT_PAGE });
    const after = paging.after;
    const action = "ssm:GetParametersByPath";
    const decide = (resource: ResourceRef) => ctx.decide(action, resource);
    const pathArn = ctx.arn("ssm", `parameter${path === "/" ? "/" : path}`);
    const pathAllowed = (await decide({ arn: pathArn })) === "Allow";
    if (isReservedPath(path)) {
      // AWS's public parameters; openssm hosts none.
      if (!pathAllowed) throw accessDenied(ctx.principal, action, pathArn);
      return { Parameters: [] };
    }
    const labelFilter = filters.find((f) => f.key === "Label");
    const withDecryption = Boolean(input.WithDecryption);
    const d = pdb(ctx.services.db);
    const page = await listPage<{ version: number; selector?: Selector }, Parameter>(ctx, {
      scan: { after, path, recursive, types: typesOf(filters) },
      filters,
      max: paging.size,
      async visible(row, tags) {
        const decision = await decide({ ...parameterResource(ctx, row.name_key), tags });
        return decision === "Allow" || (pathAllowed && decision !== "ExplicitDeny");
      },
      async pick(row) {
        if (!labelFilter) return { version: Number(row.version) };
        const labels = await labelsByVersion(d, ctx, row.name_key);
        for (const [version, names] of labels) {
          const label = names.find((n) => labelFilter.values.includes(n));
          if (label) return { version, selector: { kind: "label", label, text: label } };
        }
        return undefined;
      },
      async emit(row, picked) {
        const version = await getVersion(d, ctx, row.name_key, picked.version);
        if (!version) throw new ApiError("TooManyUpdates", `${row.name} changed while it was being read; retry.`);
        return toParameter(ctx, row, version, withDecryption, picked.selector);
      },
    });
    if (!pathAllowed && !page.anyVisible && after === undefined) throw accessDenied(ctx.principal, action, pathArn);
    return { Parameters: page.items, NextToken: page.nextAfter ? paging.tokenAfter(page.nextAfter) : undefined };
  },
});

function metadata(ctx: RequestContext, row: HeadRow): ParameterMetadata {
  return {
    Name: row.name,
    ARN: parameterArn(ctx, row.name_key),
    Type: row.type as ParameterMetadata["Type"],
    KeyId: row.key_id ?? undefined,
    LastModifiedDate: new Date(Number(row.last_modified_date)),
    LastModifiedUser: row.last_modified_user,
    Description: row.description ?? undefined,
    AllowedPattern: row.allowed_pattern ?? undefined,
    Version: Number(row.version),
    Tier: row.tier as ParameterMetadata["Tier"],
    Policies: inlinePolicies(row.policies),
    DataType: row.data_type,
  };
}

export const describeParameters = op<DescribeParametersRequest, DescribeParametersResult>({
  service: "ssm",
  name: "DescribeParameters",
  readOnly: true,
  listing: true,
  async handle(ctx, input) {
    if (input.Filters?.length && input.ParameterFilters?.length) {
      throw new ApiError("ValidationException", "You can use either Filters or ParameterFilters in a single request, not both.");
    }
    const filters = input.Filters?.length ? fromLegacyFilters(input.Filters) : checkFilters(input.ParameterFilters, "DescribeParameters");
    const action = "ssm:DescribeParameters";
    const decide = (resource: ResourceRef) => ctx.decide(action, resource);
    const accountArn = ctx.arn("ssm", "*");
    const accountAllowed = (await decide({ arn: accountArn })) === "Allow";
    if (input.Shared) {
      // Parameters shared from other accounts (AWS RAM); openssm shares none.
      if (!accountAllowed) throw accessDenied(ctx.principal, action, accountArn);
      return { Parameters: [] };
    }
    const paging = pageRequest(ctx, input, { query: filters, defaultSize: DEFAULT_PAGE });
    const after = paging.after;
    const paths = filters.find((f) => f.key === "Path");
    const singlePath = paths?.values.length === 1 ? paths.values[0] : undefined;
    const visible = async (row: HeadRow, tags?: () => Promise<Record<string, string>>) =>
      (await decide({ ...parameterResource(ctx, row.name_key), ...(tags ? { tags } : {}) })) === "Allow";
    const page = await listPage<true, ParameterMetadata>(ctx, {
      scan: { after, path: singlePath, recursive: paths?.option === "Recursive", types: typesOf(filters) },
      filters,
      max: paging.size,
      visible,
      pick: async () => true,
      emit: async (row) => metadata(ctx, row),
    });
    if (!accountAllowed && !page.anyVisible && after === undefined && !(await anyVisible(ctx, visible))) throw accessDenied(ctx.principal, action, accountArn);
    return { Parameters: page.items, NextToken: page.nextAfter ? paging.tokenAfter(page.nextAfter) : undefined };
  },
});

/** Whether the caller may see any parameter at all (decides between an empty page and AccessDenied). */
async function anyVisible(ctx: RequestContext, visible: (row: HeadRow) => Promise<boolean>): Promise<boolean> {
  for await (const row of scanParameters(pdb(ctx.services.db), ctx, {})) if (await visible(row)) return true;
  return false;
}
