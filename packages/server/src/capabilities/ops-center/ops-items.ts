import type {
  CreateOpsItemRequest,
  CreateOpsItemResponse,
  DeleteOpsItemRequest,
  DeleteOpsItemResponse,
  GetOpsItemRequest,
  GetOpsItemResponse,
  UpdateOpsItemRequest,
  UpdateOpsItemResponse,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { requestTagKeys } from "../../iam/authorize.js";
import { op, type RequestContext, type Tx } from "../../runtime.js";
import type { Scope } from "../../storage/scope.js";
import { isUniqueViolation } from "../../storage/database.js";
import { deleteAllTags, getTags, type Tag, tagProblem } from "../tags/index.js";
import { type Created, insertOpsItem } from "./create.js";
import { authorizeCrossAccount } from "./cross-account.js";
import { openDedupOf } from "./dedup.js";
import { checkOpsItemLimits } from "./limits.js";
import {
  DEDUP_KEY,
  DEFAULT_OPS_ITEM_TYPE,
  dedupStringOf,
  findOpenDuplicate,
  getOpsItem,
  invalidParameter,
  newOpsItemId,
  OPS_ITEM_TAG_TYPE,
  type OperationalData,
  opsItemArn,
  opsItemEvent,
  opsItemView,
  requireOpsItem,
} from "./store.js";
import { type OpsItemRow, opsDb } from "./tables.js";
import { recordTimeline, timelineDetail } from "./timeline.js";

/** AWS's limit on an OpsItem's operational data, as JSON. */
export const MAX_OPERATIONAL_DATA_BYTES = 20 * 1024;
/** The /aws/ keys a caller may set; other keys under the reserved prefixes are AWS's own. */
const RESERVED_KEYS_ALLOWED = new Set([DEDUP_KEY, "/aws/resources", "/aws/automations"]);
const RESERVED_PREFIX = /^\/?(amazon|aws|amzn|ssm)/i;
/** The statuses an OpsItem of the OpsCenter types takes through UpdateOpsItem; the others belong to change and access requests. */
const ISSUE_STATUSES = new Set(["Open", "InProgress", "Resolved"]);
const ISSUE_TYPES = new Set(["/aws/issue", "/aws/insight"]);
export const KNOWN_TYPES = new Set(["/aws/issue", "/aws/changerequest", "/aws/insight", "/aws/accessrequest"]);

function epochMs(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "number") return value * 1000;
  if (value instanceof Date) return value.getTime();
  return Date.parse(String(value));
}

/** Operational data as the caller gave it, checked: reserved keys, types, the /aws/dedup form, the size. */
export function checkOperationalData(data: OperationalData): void {
  for (const [key, value] of Object.entries(data)) {
    if (RESERVED_PREFIX.test(key) && !RESERVED_KEYS_ALLOWED.has(key)) {
      throw invalidParameter(
        ["OperationalData"],
        `Operational data key ${key} begins with a reserved prefix (amazon, aws, amzn, ssm, with or without a leading /); only ${[...RESERVED_KEYS_ALLOWED].join(", ")} may be set. Rename the key.`,
      );
    }
    if (value?.Value === undefined)
      throw invalidParameter(["OperationalData"], `Operational data ${key} has no Value; give Value (and Type String or SearchableString).`);
  }
  dedupStringOf(data);
  const size = Buffer.byteLength(JSON.stringify(data));
  if (size > MAX_OPERATIONAL_DATA_BYTES) {
    throw invalidParameter(
      ["OperationalData"],
      `The operational data is ${size} bytes; an OpsItem holds at most ${MAX_OPERATIONAL_DATA_BYTES} bytes (20 KB). Remove or shorten entries.`,
    );
  }
}

export const normalizeData = (data: OperationalData | undefined): OperationalData =>
  Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, { Value: v.Value, Type: v.Type ?? "String" }]));

export const opsItemRef = (ctx: RequestContext, id: string) => ({
  arn: opsItemArn(ctx.scope, id),
  tags: () => getTags(ctx.services.db, ctx.scope, OPS_ITEM_TAG_TYPE, id),
});

/** Operations that act on one existing OpsItem: authorized on its ARN, the row handed on. */
export async function onOpsItem(ctx: RequestContext, id: string | undefined) {
  const row = await requireOpsItem(ctx.services.db, ctx.scope, String(id));
  return { resources: [opsItemRef(ctx, row.ops_item_id)], prepared: row };
}

/**
 * A new OpsItem's row and tags from CreateOpsItem's input, checked as CreateOpsItem checks it (type,
 * operational data, tags, limits). `status` is the status it opens in (a decided access request opens Approved).
 */
export function opsItemRowOf(scope: Scope, by: string, now: number, input: CreateOpsItemRequest, status = "Open"): { row: OpsItemRow; tags: Tag[] } {
  const type = input.OpsItemType ?? DEFAULT_OPS_ITEM_TYPE;
  if (!KNOWN_TYPES.has(type)) {
    throw invalidParameter(["OpsItemType"], `OpsItemType ${type} is not one of ${[...KNOWN_TYPES].join(", ")}.`);
  }
  const data = normalizeData(input.OperationalData);
  checkOperationalData(data);
  const tags = (input.Tags ?? []).map((t) => ({ Key: String(t.Key), Value: String(t.Value ?? "") }));
  const problem = tagProblem({}, tags);
  if (problem) throw invalidParameter(["Tags"], problem);
  const dedup = dedupStringOf(data);
  const row: OpsItemRow = {
    ops_item_id: newOpsItemId(),
    account_id: scope.accountId,
    region: scope.region,
    ops_item_type: type,
    title: String(input.Title),
    description: String(input.Description),
    source: String(input.Source),
    status,
    severity: input.Severity ?? null,
    priority: input.Priority ?? null,
    category: input.Category ?? null,
    operational_data: JSON.stringify(data),
    notifications: JSON.stringify((input.Notifications ?? []).map((n) => ({ Arn: n.Arn }))),
    related_ops_items: JSON.stringify((input.RelatedOpsItems ?? []).map((r) => ({ OpsItemId: r.OpsItemId }))),
    dedup_string: dedup,
    open_dedup: openDedupOf(status, dedup),
    version: 1,
    created_by: by,
    created_at: now,
    last_modified_by: by,
    modified_at: now,
    actual_start_at: epochMs(input.ActualStartTime),
    actual_end_at: epochMs(input.ActualEndTime),
    planned_start_at: epochMs(input.PlannedStartTime),
    planned_end_at: epochMs(input.PlannedEndTime),
  };
  checkOpsItemLimits(row);
  return { row, tags };
}

/** Opens an OpsItem in the caller's transaction, from CreateOpsItem's input: for capabilities whose own rows must commit with it. */
export function openOpsItem(tx: Tx, scope: Scope, by: string, now: number, input: CreateOpsItemRequest, status = "Open"): Promise<Created> {
  const { row, tags } = opsItemRowOf(scope, by, now, input, status);
  return insertOpsItem(tx, scope, row, tags);
}

export const createOpsItem = op<CreateOpsItemRequest, CreateOpsItemResponse>({
  service: "ssm",
  name: "CreateOpsItem",
  resources: (ctx, input) => ({ resources: [{ arn: opsItemArn(ctx.scope, "*") }], context: requestTagKeys(input.Tags), prepared: undefined }),
  async handle(ctx, input) {
    // Another account's OpsItem: allowed by that account's OpsItemGroup resource policy.
    const scope = input.AccountId !== undefined && input.AccountId !== ctx.accountId ? { accountId: input.AccountId, region: ctx.region } : ctx.scope;
    if (scope !== ctx.scope) await authorizeCrossAccount(ctx, scope, "ssm:CreateOpsItem", opsItemArn(scope, "*"));
    const { row, tags } = opsItemRowOf(scope, ctx.principal.arn, ctx.now().getTime(), input);
    // A duplicate of an open OpsItem is that item: AWS answers with its id and creates nothing.
    const { id } = await ctx.transaction((tx) => insertOpsItem(tx, scope, row, tags));
    return { OpsItemId: id, OpsItemArn: opsItemArn(scope, id) };
  },
});

export const getOpsItemOp = op<GetOpsItemRequest, GetOpsItemResponse, OpsItemRow>({
  service: "ssm",
  name: "GetOpsItem",
  readOnly: true,
  async resources(ctx, input) {
    if (input.OpsItemArn !== undefined && input.OpsItemArn !== opsItemArn(ctx.scope, String(input.OpsItemId))) {
      throw invalidParameter(["OpsItemArn"], `OpsItemArn ${input.OpsItemArn} does not name OpsItem ${input.OpsItemId} in this account and region.`);
    }
    return onOpsItem(ctx, input.OpsItemId);
  },
  async handle(ctx, _input, row) {
    return { OpsItem: opsItemView(ctx.scope, row) };
  },
});

const UPDATABLE = ["Title", "Description", "Status", "Severity", "Priority", "Category", "Notifications", "RelatedOpsItems"] as const;

export const updateOpsItem = op<UpdateOpsItemRequest, UpdateOpsItemResponse, OpsItemRow>({
  service: "ssm",
  name: "UpdateOpsItem",
  async resources(ctx, input) {
    if (input.OpsItemArn !== undefined && input.OpsItemArn !== opsItemArn(ctx.scope, String(input.OpsItemId))) {
      throw invalidParameter(["OpsItemArn"], `OpsItemArn ${input.OpsItemArn} does not name OpsItem ${input.OpsItemId} in this account and region.`);
    }
    return onOpsItem(ctx, input.OpsItemId);
  },
  async handle(ctx, input, row) {
    if (input.Status !== undefined && ISSUE_TYPES.has(row.ops_item_type) && !ISSUE_STATUSES.has(input.Status)) {
      throw invalidParameter(
        ["Status"],
        `An OpsItem of type ${row.ops_item_type} takes the status Open, InProgress or Resolved; ${input.Status} belongs to change and access requests.`,
      );
    }
    const data = JSON.parse(row.operational_data) as OperationalData;
    const toDelete = input.OperationalDataToDelete ?? [];
    const given = normalizeData(input.OperationalData);
    const overlap = toDelete.filter((k) => k in given);
    if (overlap.length) {
      throw invalidParameter(
        ["OperationalData", "OperationalDataToDelete"],
        `Keys ${overlap.join(", ")} are both set and deleted; give each key in one of the two.`,
      );
    }
    checkOperationalData(given);
    for (const k of toDelete) delete data[k];
    Object.assign(data, given);
    checkOperationalData(data);
    const dedup = dedupStringOf(data);
    const now = ctx.now().getTime();
    const changed: string[] = UPDATABLE.filter((k) => input[k] !== undefined);
    if (input.OperationalData !== undefined || toDelete.length) changed.push("OperationalData");
    for (const k of ["ActualStartTime", "ActualEndTime", "PlannedStartTime", "PlannedEndTime"] as const) if (input[k] !== undefined) changed.push(k);
    const next: OpsItemRow = {
      ...row,
      title: input.Title ?? row.title,
      description: input.Description ?? row.description,
      status: input.Status ?? row.status,
      severity: input.Severity ?? row.severity,
      priority: input.Priority ?? row.priority,
      category: input.Category ?? row.category,
      operational_data: JSON.stringify(data),
      notifications: input.Notifications ? JSON.stringify(input.Notifications.map((n) => ({ Arn: n.Arn }))) : row.notifications,
      related_ops_items: input.RelatedOpsItems ? JSON.stringify(input.RelatedOpsItems.map((r) => ({ OpsItemId: r.OpsItemId }))) : row.related_ops_items,
      dedup_string: dedup,
      open_dedup: openDedupOf(input.Status ?? row.status, dedup),
      version: row.version + 1,
      last_modified_by: ctx.principal.arn,
      modified_at: now,
      actual_start_at: input.ActualStartTime !== undefined ? epochMs(input.ActualStartTime) : row.actual_start_at,
      actual_end_at: input.ActualEndTime !== undefined ? epochMs(input.ActualEndTime) : row.actual_end_at,
      planned_start_at: input.PlannedStartTime !== undefined ? epochMs(input.PlannedStartTime) : row.planned_start_at,
      planned_end_at: input.PlannedEndTime !== undefined ? epochMs(input.PlannedEndTime) : row.planned_end_at,
    };
    checkOpsItemLimits(next);
    const alreadyOpen = (id: string) =>
      new ApiError(
        "OpsItemAlreadyExistsException",
        `The open OpsItem ${id} already carries the dedup string ${dedup}; resolve it, or use another dedupString.`,
        400,
        { OpsItemId: id },
      );
    await ctx
      .transaction(async (tx) => {
        if (next.open_dedup !== null && next.open_dedup !== row.open_dedup && dedup !== null) {
          const open = await findOpenDuplicate(tx.db, ctx.scope, dedup, row.ops_item_id);
          if (open) throw alreadyOpen(open.ops_item_id);
        }
        const { ops_item_id: _id, account_id: _a, region: _r, ...changes } = next;
        // Compare-and-set on the version: two updates at once both count, neither is lost silently.
        const res = await opsDb(tx.db)
          .updateTable("ops_items")
          .set(changes)
          .where("ops_item_id", "=", row.ops_item_id)
          .where("version", "=", row.version)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) !== 1) {
          throw new ApiError("OpsItemConflictException", `OpsItem ${row.ops_item_id} changed while this update ran; get it again and retry.`);
        }
        await recordTimeline(tx.db, ctx.scope, next, "OpsItem Update", timelineDetail(next, changed), ctx.principal.arn, now);
        tx.publish(opsItemEvent(ctx.scope, next, "Update", changed));
      })
      .catch(async (e) => {
        // Another replica opened an item with this dedup string between the check and the write.
        if (!isUniqueViolation(e) || dedup === null) throw e;
        const open = await findOpenDuplicate(ctx.services.db, ctx.scope, dedup, row.ops_item_id);
        throw alreadyOpen(open?.ops_item_id ?? "(another)");
      });
    return {};
  },
});

export const deleteOpsItem = op<DeleteOpsItemRequest, DeleteOpsItemResponse>({
  service: "ssm",
  name: "DeleteOpsItem",
  resources: (ctx, input) => [opsItemRef(ctx, String(input.OpsItemId))],
  async handle(ctx, input) {
    const id = String(input.OpsItemId);
    const row = await getOpsItem(ctx.services.db, ctx.scope, id);
    // AWS answers an id that is not there (or no longer) with success, as for one it deleted.
    if (!row) return {};
    await ctx.transaction(async (tx) => {
      const d = opsDb(tx.db);
      await d.deleteFrom("ops_item_related").where("ops_item_id", "=", id).execute();
      await d.deleteFrom("ops_item_events").where("ops_item_id", "=", id).execute();
      await d.deleteFrom("ops_items").where("ops_item_id", "=", id).execute();
      await deleteAllTags(tx.db, ctx.scope, OPS_ITEM_TAG_TYPE, id);
    });
    return {};
  },
});
