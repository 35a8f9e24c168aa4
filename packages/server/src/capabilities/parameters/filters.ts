import type { ParametersFilter, ParameterStringFilter } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { checkPath, isReservedPath, nameKey } from "./names.js";

/** A checked ParameterStringFilter with its option filled in. */
export interface Filter {
  key: string;
  option: string;
  values: string[];
}

/** What a filter looks at on one parameter. */
export interface FilterSubject {
  nameKey: string;
  parentPath: string;
  type: string;
  keyId: string | null;
  keyArn: string | null;
  tier: string;
  dataType: string;
  /** Loaded only when a tag filter asks. */
  tags?: Record<string, string>;
}

export type FilterMode = "DescribeParameters" | "GetParametersByPath";

const DESCRIBE_KEYS = ["Name", "Type", "KeyId", "Path", "Tier", "DataType"];
const BY_PATH_KEYS = ["Type", "KeyId", "Label"];
const ALLOWED_VALUES: Record<string, string[]> = {
  Type: ["String", "StringList", "SecureString"],
  Tier: ["Standard", "Advanced", "Intelligent-Tiering"],
  DataType: ["text", "aws:ec2:image", "aws:ssm:integration"],
};

function validOptions(key: string, mode: FilterMode): string[] {
  if (key === "Path") return ["Recursive", "OneLevel"];
  if (key === "Label") return ["Equals"];
  if (key === "Name" && mode === "DescribeParameters") return ["BeginsWith", "Contains", "Equals"];
  return ["BeginsWith", "Equals"];
}

/** Checks ParameterFilters with the restrictions AWS applies to each operation. */
export function checkFilters(filters: ParameterStringFilter[] | undefined, mode: FilterMode): Filter[] {
  const seen = new Set<string>();
  const out: Filter[] = [];
  for (const f of filters ?? []) {
    const key = String(f.Key);
    const isTag = key.startsWith("tag:");
    const keys = mode === "DescribeParameters" ? DESCRIBE_KEYS : BY_PATH_KEYS;
    if (!(keys.includes(key) || (isTag && mode === "DescribeParameters"))) {
      const valid = mode === "DescribeParameters" ? "[Path, Name, Type, KeyId, Tier, DataType, tag:<key>]" : "[Type, KeyId, Label]";
      throw new ApiError("InvalidFilterKey", `The following filter key is not valid: ${key}. Valid filter keys include: ${valid}.`);
    }
    if (seen.has(key)) {
      throw new ApiError(
        "InvalidFilterKey",
        `The following filter is duplicated in the request: ${key}. A request can contain only one occurrence of a specific filter.`,
      );
    }
    seen.add(key);
    const option = f.Option ?? (key === "Path" ? "OneLevel" : "Equals");
    const options = validOptions(key, mode);
    if (!options.includes(option)) {
      throw new ApiError(
        "InvalidFilterOption",
        `The following filter option is not valid: ${option}. Valid options for ${key} include: [${options.join(", ")}].`,
      );
    }
    let values = (f.Values ?? []).map(String);
    if (values.length === 0 && !isTag) {
      throw new ApiError("InvalidFilterValue", `The following filter values are missing : null for filter key ${key}. Give at least one value.`);
    }
    const allowed = ALLOWED_VALUES[key];
    const bad = allowed ? values.find((v) => !allowed.includes(v)) : undefined;
    if (bad !== undefined && option === "Equals") {
      throw new ApiError("InvalidFilterValue", `The following filter value is not valid: ${bad}. Valid values for ${key} include: [${allowed.join(", ")}].`);
    }
    if (key === "Path") {
      values = values.map(checkPath);
      if (values.some(isReservedPath)) {
        // AWS's answer, word for word (openssm hosts no public parameters anyway).
        throw new ApiError("ValidationException", 'Filters for common parameters can\'t be prefixed with "aws" or "ssm" (case-insensitive).');
      }
    }
    out.push({ key, option, values });
  }
  return out;
}

/** The old-style DescribeParameters Filters (Name, Type, KeyId), as string filters. */
export function fromLegacyFilters(filters: ParametersFilter[] | undefined): Filter[] {
  return (filters ?? []).map((f) => ({ key: String(f.Key), option: f.Key === "Name" ? "BeginsWith" : "Equals", values: (f.Values ?? []).map(String) }));
}

function compare(option: string, candidates: (string | null | undefined)[], values: string[]): boolean {
  const present = candidates.filter((c): c is string => typeof c === "string");
  if (option === "BeginsWith") return present.some((c) => values.some((v) => c.startsWith(v)));
  if (option === "Contains") return present.some((c) => values.some((v) => c.includes(v)));
  return present.some((c) => values.includes(c));
}

/** Whether one parameter passes one filter (Label filters are applied by the caller, on versions). */
export function matches(s: FilterSubject, f: Filter): boolean {
  switch (f.key) {
    case "Name":
      if (f.option === "Contains") return f.values.some((v) => s.nameKey.includes(v));
      return compare(
        f.option,
        [s.nameKey],
        f.values.map((v) => nameKey(v)),
      );
    case "Type":
      return compare(f.option, [s.type], f.values);
    case "Tier":
      return compare(f.option, [s.tier], f.values);
    case "DataType":
      return compare(f.option, [s.dataType], f.values);
    case "KeyId":
      return compare(f.option, [s.keyId, s.keyArn, s.keyArn?.slice(s.keyArn.lastIndexOf("/") + 1)], f.values);
    case "Path":
      if (f.option === "Recursive") return f.values.some((p) => p === "/" || s.nameKey.startsWith(`${p}/`));
      return f.values.includes(s.parentPath);
    case "Label":
      return true;
    default: {
      const tagKey = f.key.slice("tag:".length);
      const value = s.tags?.[tagKey];
      if (value === undefined) return false;
      return f.values.length === 0 || compare(f.option, [value], f.values);
    }
  }
}
