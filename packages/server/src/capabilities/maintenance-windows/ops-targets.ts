import { randomUUID } from "node:crypto";
import type {
  DeregisterTargetFromMaintenanceWindowRequest,
  DeregisterTargetFromMaintenanceWindowResult,
  DescribeMaintenanceWindowTargetsRequest,
  DescribeMaintenanceWindowTargetsResult,
  RegisterTargetWithMaintenanceWindowRequest,
  RegisterTargetWithMaintenanceWindowResult,
  Target,
  UpdateMaintenanceWindowTargetRequest,
  UpdateMaintenanceWindowTargetResult,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { pageOf } from "../../http/paging.js";
import { op, type RequestContext } from "../../runtime.js";
import { getTags } from "../tags/index.js";
import { targetRegistrationEvent, windowArn } from "./events.js";
import { WINDOW_TAG_TYPE } from "./ops-windows.js";
import { listTargets, listTasks, orUndefined, requireWindow, targetView } from "./store.js";
import { mwDb, type TargetRow, type WindowRow } from "./tables.js";

/** AWS's quota: targets registered with one maintenance window. */
export const MAX_TARGETS = 100;

export const windowResource = (ctx: RequestContext, w: WindowRow) => ({
  arn: windowArn(ctx.scope, w.window_id),
  tags: () => getTags(ctx.services.db, ctx.scope, WINDOW_TAG_TYPE, w.window_id),
});

export async function onWindow(ctx: RequestContext, windowId: string | undefined) {
  const row = await requireWindow(ctx, String(windowId));
  return { resources: [windowResource(ctx, row)], prepared: row };
}

/** Targets of a window target: INSTANCE by InstanceIds, tag:<key> or tag-key; resource groups are not in openssm yet. */
export function checkWindowTargets(resourceType: string, targets: Target[]): void {
  if (targets.length === 0)
    throw new ApiError("ValidationException", "Targets must name at least one target (Key=InstanceIds, Key=tag:<name> or Key=tag-key).");
  if (resourceType === "RESOURCE_GROUP" || targets.some((t) => String(t.Key).startsWith("resource-groups:"))) {
    throw new ApiError("ValidationException", "openssm has no resource groups yet: register targets of ResourceType INSTANCE by InstanceIds or tags.");
  }
  for (const t of targets) {
    const key = String(t.Key);
    if (key !== "InstanceIds" && key !== "tag-key" && !key.startsWith("tag:")) {
      throw new ApiError("ValidationException", `Target key ${key} is not one a window target takes; use InstanceIds, tag:<name> or tag-key.`);
    }
    if (!t.Values?.length) throw new ApiError("ValidationException", `Target ${key} has no Values; give at least one.`);
  }
}

export const registerTargetWithMaintenanceWindow = op<RegisterTargetWithMaintenanceWindowRequest, RegisterTargetWithMaintenanceWindowResult, WindowRow>({
  service: "ssm",
  name: "RegisterTargetWithMaintenanceWindow",
  resources: (ctx, input) => onWindow(ctx, input.WindowId),
  async handle(ctx, input, w) {
    const targets = input.Targets ?? [];
    checkWindowTargets(String(input.ResourceType), targets);
    const existing = await listTargets(ctx.services.db, w.window_id);
    if (input.ClientToken) {
      const prior = existing.find((t) => t.client_token === input.ClientToken);
      if (prior) {
        if (prior.targets !== JSON.stringify(targets) || prior.resource_type !== input.ResourceType) {
          throw new ApiError("IdempotentParameterMismatch", `ClientToken ${input.ClientToken} was used to register different targets; use a new token.`);
        }
        return { WindowTargetId: prior.window_target_id };
      }
    }
    if (existing.length >= MAX_TARGETS) {
      throw new ApiError("ResourceLimitExceededException", `Window ${w.window_id} already has ${MAX_TARGETS} targets, the most allowed; deregister one first.`);
    }
    const row: TargetRow = {
      window_target_id: randomUUID(),
      window_id: w.window_id,
      account_id: ctx.accountId,
      region: ctx.region,
      resource_type: String(input.ResourceType),
      targets: JSON.stringify(targets),
      owner_information: input.OwnerInformation ?? null,
      name: input.Name ?? null,
      description: input.Description ?? null,
      client_token: input.ClientToken ?? null,
      created_at: ctx.now().getTime(),
    };
    await ctx.transaction(async (tx) => {
      await mwDb(tx.db).insertInto("mw_targets").values(row).execute();
      tx.publish(targetRegistrationEvent(ctx.scope, w.window_id, row.window_target_id, "REGISTERED"));
    });
    return { WindowTargetId: row.window_target_id };
  },
});

async function requireTarget(ctx: RequestContext, windowId: string, windowTargetId: string): Promise<TargetRow> {
  const row = await mwDb(ctx.services.db)
    .selectFrom("mw_targets")
    .selectAll()
    .where("window_id", "=", windowId)
    .where("window_target_id", "=", windowTargetId)
    .executeTakeFirst();
  if (!row) throw new ApiError("DoesNotExistException", `Window target ${windowTargetId} is not registered with maintenance window ${windowId}.`);
  return row;
}

/** The tasks of a window that name one of its targets (Key=WindowTargetIds). */
async function tasksUsing(ctx: RequestContext, windowId: string, windowTargetId: string): Promise<string[]> {
  const tasks = await listTasks(ctx.services.db, windowId);
  return tasks
    .filter((t) => (JSON.parse(t.targets) as Target[]).some((x) => x.Key === "WindowTargetIds" && x.Values?.includes(windowTargetId)))
    .map((t) => t.window_task_id);
}

export const deregisterTargetFromMaintenanceWindow = op<DeregisterTargetFromMaintenanceWindowRequest, DeregisterTargetFromMaintenanceWindowResult, WindowRow>({
  service: "ssm",
  name: "DeregisterTargetFromMaintenanceWindow",
  resources: (ctx, input) => onWindow(ctx, input.WindowId),
  async handle(ctx, input, w) {
    const target = await requireTarget(ctx, w.window_id, String(input.WindowTargetId));
    if (input.Safe) {
      const users = await tasksUsing(ctx, w.window_id, target.window_target_id);
      if (users.length) {
        throw new ApiError(
          "TargetInUseException",
          `Window target ${target.window_target_id} is used by task ${users.join(", ")}; deregister or update those tasks first, or deregister without Safe.`,
        );
      }
    }
    await ctx.transaction(async (tx) => {
      await mwDb(tx.db).deleteFrom("mw_targets").where("window_target_id", "=", target.window_target_id).execute();
      tx.publish(targetRegistrationEvent(ctx.scope, w.window_id, target.window_target_id, "DEREGISTERED"));
    });
    return { WindowId: w.window_id, WindowTargetId: target.window_target_id };
  },
});

export const updateMaintenanceWindowTarget = op<UpdateMaintenanceWindowTargetRequest, UpdateMaintenanceWindowTargetResult, WindowRow>({
  service: "ssm",
  name: "UpdateMaintenanceWindowTarget",
  resources: (ctx, input) => onWindow(ctx, input.WindowId),
  async handle(ctx, input, w) {
    const target = await requireTarget(ctx, w.window_id, String(input.WindowTargetId));
    const replace = input.Replace === true;
    if (replace && !input.Targets) throw new ApiError("ValidationException", "With Replace, give Targets (the window target's required field).");
    const pick = <T>(given: T | undefined, current: T | null): T | null => (given !== undefined ? given : replace ? null : current);
    if (input.Targets) checkWindowTargets(target.resource_type, input.Targets);
    const changes = {
      targets: input.Targets ? JSON.stringify(input.Targets) : target.targets,
      owner_information: pick(input.OwnerInformation, target.owner_information),
      name: pick(input.Name, target.name),
      description: pick(input.Description, target.description),
    };
    await mwDb(ctx.services.db).updateTable("mw_targets").set(changes).where("window_target_id", "=", target.window_target_id).execute();
    return {
      WindowId: w.window_id,
      WindowTargetId: target.window_target_id,
      Targets: JSON.parse(changes.targets) as Target[],
      OwnerInformation: orUndefined(changes.owner_information),
      Name: orUndefined(changes.name),
      Description: orUndefined(changes.description),
    };
  },
});

export const describeMaintenanceWindowTargets = op<DescribeMaintenanceWindowTargetsRequest, DescribeMaintenanceWindowTargetsResult, WindowRow>({
  service: "ssm",
  name: "DescribeMaintenanceWindowTargets",
  readOnly: true,
  resources: (ctx, input) => onWindow(ctx, input.WindowId),
  async handle(ctx, input, w) {
    let rows = await listTargets(ctx.services.db, w.window_id);
    for (const f of input.Filters ?? []) {
      const values = f.Values ?? [];
      const field: Record<string, (t: TargetRow) => string | null> = {
        WindowTargetId: (t) => t.window_target_id,
        OwnerInformation: (t) => t.owner_information,
        Name: (t) => t.name,
        ResourceType: (t) => t.resource_type,
      };
      const get = field[String(f.Key)];
      if (!get)
        throw new ApiError(
          "ValidationException",
          `${f.Key} is not a filter of DescribeMaintenanceWindowTargets; use WindowTargetId, OwnerInformation, Name or ResourceType.`,
        );
      rows = rows.filter((t) => values.includes(get(t) ?? ""));
    }
    const page = pageOf(ctx, rows, (t) => t.window_target_id, input, { query: [w.window_id, input.Filters ?? []], defaultSize: 10 });
    return { Targets: page.items.map(targetView), NextToken: page.nextToken };
  },
});
