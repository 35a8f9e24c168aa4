import type { OpsItemFilter } from "@aws-sdk/client-ssm";
import type { ExpressionBuilder } from "kysely";
import { ApiError } from "../../errors.js";
import type { OperationalData } from "./store.js";
import type { OpsCenterTables, OpsItemRow } from "./tables.js";

/** DescribeOpsItems' filters: each key, the operators it takes, and how a row matches one value. */
type Operator = "Equal" | "Contains" | "GreaterThan" | "LessThan";
type Matcher = (row: OpsItemRow, op: Operator, value: string) => boolean;

const text =
  (get: (r: OpsItemRow) => string | null): Matcher =>
  (r, op, v) => {
    const x = get(r);
    if (x === null) return false;
    return op === "Contains" ? x.toLowerCase().includes(v.toLowerCase()) : x === v;
  };

export function parseTime(v: string, key: string): number {
  const ms = /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
  if (Number.isNaN(ms))
    throw new ApiError("ValidationException", `${key} filter value ${v} is not a time; give an ISO 8601 time such as 2026-12-02T00:00:00Z.`);
  return ms;
}

const time =
  (key: string, get: (r: OpsItemRow) => number | null): Matcher =>
  (r, op, v) => {
    const x = get(r);
    if (x === null) return false;
    const t = parseTime(v, key);
    return op === "GreaterThan" ? Number(x) > t : op === "LessThan" ? Number(x) < t : Number(x) === t;
  };

export function number(key: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ApiError("ValidationException", `${key} filter value ${v} is not a number.`);
  return n;
}

const searchable = (r: OpsItemRow) =>
  Object.entries(JSON.parse(r.operational_data) as OperationalData).filter(([, d]) => d.Type === "SearchableString") as [string, { Value: string }][];

/** The JSON list held under a key of the operational data (/aws/resources, /aws/automations), or []. */
function listUnder(r: OpsItemRow, key: string): Record<string, unknown>[] {
  const entry = (JSON.parse(r.operational_data) as OperationalData)[key];
  if (!entry?.Value) return [];
  try {
    const parsed = JSON.parse(entry.Value) as unknown;
    return Array.isArray(parsed) ? (parsed as Record<string, unknown>[]) : [];
  } catch {
    return [];
  }
}

function operationalDataPair(v: string): { key: string; value?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    parsed = undefined;
  }
  const p = parsed as { key?: unknown; value?: unknown } | undefined;
  if (typeof p?.key !== "string") {
    throw new ApiError("ValidationException", `OperationalData filter value ${v} must be JSON such as {"key":"Environment","value":"prod"}.`);
  }
  return { key: p.key, value: typeof p.value === "string" ? p.value : undefined };
}

const FILTERS: Record<string, { operators: Operator[]; match: Matcher }> = {
  OpsItemId: { operators: ["Equal"], match: text((r) => r.ops_item_id) },
  Status: { operators: ["Equal"], match: text((r) => r.status) },
  Title: { operators: ["Equal", "Contains"], match: text((r) => r.title) },
  Source: { operators: ["Equal", "Contains"], match: text((r) => r.source) },
  CreatedBy: { operators: ["Equal"], match: text((r) => r.created_by) },
  Category: { operators: ["Equal"], match: text((r) => r.category) },
  Severity: { operators: ["Equal"], match: text((r) => r.severity) },
  OpsItemType: { operators: ["Equal"], match: text((r) => r.ops_item_type) },
  AccountId: { operators: ["Equal"], match: text((r) => r.account_id) },
  Priority: {
    operators: ["Equal", "GreaterThan", "LessThan"],
    match: (r, op, v) => {
      if (r.priority === null) return false;
      const n = number("Priority", v);
      return op === "GreaterThan" ? r.priority > n : op === "LessThan" ? r.priority < n : r.priority === n;
    },
  },
  CreatedTime: { operators: ["GreaterThan", "LessThan"], match: time("CreatedTime", (r) => r.created_at) },
  LastModifiedTime: { operators: ["GreaterThan", "LessThan"], match: time("LastModifiedTime", (r) => r.modified_at) },
  ActualStartTime: { operators: ["GreaterThan", "LessThan"], match: time("ActualStartTime", (r) => r.actual_start_at) },
  ActualEndTime: { operators: ["GreaterThan", "LessThan"], match: time("ActualEndTime", (r) => r.actual_end_at) },
  PlannedStartTime: { operators: ["GreaterThan", "LessThan"], match: time("PlannedStartTime", (r) => r.planned_start_at) },
  PlannedEndTime: { operators: ["GreaterThan", "LessThan"], match: time("PlannedEndTime", (r) => r.planned_end_at) },
  OperationalData: {
    operators: ["Equal", "Contains"],
    match: (r, op, v) => {
      const { key, value } = operationalDataPair(v);
      const hit = searchable(r).find(([k]) => k === key);
      if (!hit) return false;
      if (value === undefined) return true;
      return op === "Contains" ? hit[1].Value.toLowerCase().includes(value.toLowerCase()) : hit[1].Value === value;
    },
  },
  OperationalDataKey: { operators: ["Equal"], match: (r, _op, v) => searchable(r).some(([k]) => k === v) },
  OperationalDataValue: {
    operators: ["Equal", "Contains"],
    match: (r, op, v) => searchable(r).some(([, d]) => (op === "Contains" ? d.Value.toLowerCase().includes(v.toLowerCase()) : d.Value === v)),
  },
  ResourceId: {
    operators: ["Equal", "Contains"],
    match: (r, op, v) => listUnder(r, "/aws/resources").some((x) => typeof x.arn === "string" && (op === "Contains" ? x.arn.includes(v) : x.arn === v)),
  },
  AutomationId: {
    operators: ["Equal"],
    match: (r, _op, v) => listUnder(r, "/aws/automations").some((x) => x.automationId === v),
  },
};

/** The filters as one predicate: every filter must match; within one, any of its values. */
export function opsItemPredicate(filters: OpsItemFilter[]): (row: OpsItemRow) => boolean {
  const checks = filters.map((f) => {
    const key = String(f.Key);
    const spec = FILTERS[key];
    if (!spec) {
      throw new ApiError("ValidationException", `openssm does not filter OpsItems by ${key} yet; use one of ${Object.keys(FILTERS).join(", ")}.`);
    }
    const op = f.Operator as Operator;
    if (!spec.operators.includes(op)) {
      throw new ApiError("ValidationException", `The ${key} filter takes the operator ${spec.operators.join(" or ")}, not ${op}.`);
    }
    const values = (f.Values ?? []).map(String);
    return (row: OpsItemRow) => values.some((v) => spec.match(row, op, v));
  });
  return (row) => checks.every((c) => c(row));
}

/** The columns a filter key narrows in SQL (Equal on them; Priority and the times with their comparisons too). */
const EQUAL_COLUMNS: Record<string, keyof OpsItemRow> = {
  OpsItemId: "ops_item_id",
  Status: "status",
  Severity: "severity",
  OpsItemType: "ops_item_type",
  Category: "category",
  CreatedBy: "created_by",
  AccountId: "account_id",
  Title: "title",
  Source: "source",
};
const TIME_COLUMNS: Record<string, keyof OpsItemRow> = {
  CreatedTime: "created_at",
  LastModifiedTime: "modified_at",
  ActualStartTime: "actual_start_at",
  ActualEndTime: "actual_end_at",
  PlannedStartTime: "planned_start_at",
  PlannedEndTime: "planned_end_at",
};

/** A filter as a SQL condition (any of its values), or undefined when only the predicate can decide it. */
export type SqlCondition = (eb: ExpressionBuilder<OpsCenterTables, "ops_items">) => ReturnType<ExpressionBuilder<OpsCenterTables, "ops_items">["or"]>;

export function sqlCondition(f: OpsItemFilter): SqlCondition | undefined {
  const key = String(f.Key);
  const op = f.Operator as Operator;
  const values = (f.Values ?? []).map(String);
  const cmp = op === "GreaterThan" ? ">" : op === "LessThan" ? "<" : "=";
  if (EQUAL_COLUMNS[key] && op === "Equal") {
    const column = EQUAL_COLUMNS[key];
    return (eb) => eb.or(values.map((v) => eb(column, "=", v)));
  }
  if (key === "Priority" && FILTERS.Priority.operators.includes(op)) {
    const ns = values.map((v) => number("Priority", v));
    return (eb) => eb.or(ns.map((n) => eb("priority", cmp, n)));
  }
  if (TIME_COLUMNS[key] && FILTERS[key].operators.includes(op)) {
    const column = TIME_COLUMNS[key];
    const ts = values.map((v) => parseTime(v, key));
    return (eb) => eb.or(ts.map((t) => eb(column, cmp, t)));
  }
  return undefined;
}
