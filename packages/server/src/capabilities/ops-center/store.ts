import { randomBytes } from "node:crypto";
import type { OpsItem, OpsItemDataValue, OpsItemNotification, OpsItemSummary, RelatedOpsItem } from "@aws-sdk/client-ssm";
import type { EventInput } from "../../events/bus.js";
import { ApiError } from "../../errors.js";
import type { AnyDb } from "../../storage/database.js";
import { inScope, type Scope } from "../../storage/scope.js";
import { dedupHash } from "./dedup.js";
import { type OpsItemRow, opsDb } from "./tables.js";

export const OPS_ITEM_TAG_TYPE = "OpsItem";
export const DEFAULT_OPS_ITEM_TYPE = "/aws/issue";
export const DEDUP_KEY = "/aws/dedup";

export const newOpsItemId = () => `oi-${randomBytes(6).toString("hex")}`;
/**
 * Event ids sort in the order an OpsItem's events were recorded: the time, then the item's count of
 * events in that millisecond (so they keep their order), then randomness so that replicas never collide.
 */
export const newEventId = (at: number, seq: number) => `${String(at).padStart(15, "0")}-${String(seq).padStart(6, "0")}-${randomBytes(4).toString("hex")}`;
export const opsItemArn = (scope: Scope, id: string) => `arn:aws:ssm:${scope.region}:${scope.accountId}:opsitem/${id}`;

export { isOpen } from "./dedup.js";

export type OperationalData = Record<string, OpsItemDataValue>;

export const date = (ms: number | null) => (ms === null ? undefined : new Date(Number(ms)));
const orUndefined = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export function opsItemView(scope: Scope, r: OpsItemRow): OpsItem {
  const data = JSON.parse(r.operational_data) as OperationalData;
  const notifications = JSON.parse(r.notifications) as OpsItemNotification[];
  const related = JSON.parse(r.related_ops_items) as RelatedOpsItem[];
  return {
    OpsItemId: r.ops_item_id,
    OpsItemArn: opsItemArn(scope, r.ops_item_id),
    OpsItemType: r.ops_item_type,
    Title: r.title,
    Description: r.description,
    Source: r.source,
    Status: r.status as OpsItem["Status"],
    Severity: orUndefined(r.severity),
    Priority: orUndefined(r.priority),
    Category: orUndefined(r.category),
    OperationalData: Object.keys(data).length ? data : undefined,
    Notifications: notifications.length ? notifications : undefined,
    RelatedOpsItems: related.length ? related : undefined,
    Version: String(r.version),
    CreatedBy: r.created_by,
    CreatedTime: date(r.created_at),
    LastModifiedBy: r.last_modified_by,
    LastModifiedTime: date(r.modified_at),
    ActualStartTime: date(r.actual_start_at),
    ActualEndTime: date(r.actual_end_at),
    PlannedStartTime: date(r.planned_start_at),
    PlannedEndTime: date(r.planned_end_at),
  };
}

export function opsItemSummary(scope: Scope, r: OpsItemRow): OpsItemSummary {
  const { Description: _d, Notifications: _n, RelatedOpsItems: _r, Version: _v, OpsItemArn: _a, ...summary } = opsItemView(scope, r);
  return summary;
}

export function getOpsItem(db: AnyDb, scope: Scope, id: string): Promise<OpsItemRow | undefined> {
  return opsDb(db).selectFrom("ops_items").selectAll().where(inScope(scope)).where("ops_item_id", "=", id).executeTakeFirst();
}

export function opsItemNotFound(id: string): ApiError {
  return new ApiError("OpsItemNotFoundException", `OpsItem ${id} does not exist in this account and region; DescribeOpsItems lists the OpsItems.`);
}

export async function requireOpsItem(db: AnyDb, scope: Scope, id: string): Promise<OpsItemRow> {
  const row = await getOpsItem(db, scope, id);
  if (!row) throw opsItemNotFound(id);
  return row;
}

export function invalidParameter(names: string[], message: string): ApiError {
  return new ApiError("OpsItemInvalidParameterException", message, 400, { ParameterNames: names });
}

/** The dedup string an OperationalData map carries under /aws/dedup ({"dedupString": "..."}), or null. */
export function dedupStringOf(data: OperationalData): string | null {
  const entry = data[DEDUP_KEY];
  if (!entry) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(entry.Value ?? ""));
  } catch {
    parsed = undefined;
  }
  const s = (parsed as { dedupString?: unknown } | undefined)?.dedupString;
  if (typeof s !== "string" || s.trim() === "") {
    throw invalidParameter(["OperationalData"], `${DEDUP_KEY} must be JSON such as {"dedupString":"disk-full-db-3"} with a non-empty dedupString.`);
  }
  return s;
}

/** The open OpsItem that already carries this dedup string, if any (at most one: a unique index). */
export function findOpenDuplicate(db: AnyDb, scope: Scope, dedup: string, except?: string): Promise<OpsItemRow | undefined> {
  let q = opsDb(db).selectFrom("ops_items").selectAll().where(inScope(scope)).where("open_dedup", "=", dedupHash(dedup));
  if (except) q = q.where("ops_item_id", "!=", except);
  return q.executeTakeFirst();
}

/** The event openssm publishes on its bus for a created or updated OpsItem (EventBridge's shape). */
export function opsItemEvent(scope: Scope, r: OpsItemRow, kind: "Create" | "Update", changed?: string[]): EventInput {
  return {
    source: "aws.ssm",
    "detail-type": `OpsItem ${kind}`,
    account: scope.accountId,
    region: scope.region,
    resources: [opsItemArn(scope, r.ops_item_id)],
    detail: {
      opsItemId: r.ops_item_id,
      opsItemType: r.ops_item_type,
      title: r.title,
      source: r.source,
      status: r.status,
      severity: r.severity ?? undefined,
      priority: r.priority ?? undefined,
      category: r.category ?? undefined,
      version: String(r.version),
      createdBy: r.created_by,
      lastModifiedBy: r.last_modified_by,
      notifications: (JSON.parse(r.notifications) as OpsItemNotification[]).map((n) => n.Arn),
      changedFields: changed,
    },
  };
}
