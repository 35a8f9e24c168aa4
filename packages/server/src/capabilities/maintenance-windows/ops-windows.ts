import type {
  CreateMaintenanceWindowRequest,
  CreateMaintenanceWindowResult,
  DeleteMaintenanceWindowRequest,
  DeleteMaintenanceWindowResult,
  DescribeMaintenanceWindowsRequest,
  DescribeMaintenanceWindowsResult,
  GetMaintenanceWindowRequest,
  GetMaintenanceWindowResult,
  MaintenanceWindowIdentity,
  UpdateMaintenanceWindowRequest,
  UpdateMaintenanceWindowResult,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { pageRequest } from "../../http/paging.js";
import { requestTagKeys } from "../../iam/authorize.js";
import { ANY_RESOURCE, op, type RequestContext } from "../../runtime.js";
import { isTimeZone, parseSchedule, ScheduleError } from "../../scheduler/expressions.js";
import { inScope } from "../../storage/scope.js";
import { deleteAllTags, getTags, putTags, tagProblem } from "../tags/index.js";
import { windowArn, windowStateEvent } from "./events.js";
import { nextStart, windowTime } from "./schedule.js";
import { date, getWindow, newWindowId, orUndefined, requireWindow } from "./store.js";
import { mwDb, type WindowRow } from "./tables.js";

export const WINDOW_TAG_TYPE = "MaintenanceWindow";
/** AWS's quota: maintenance windows per account and region. */
export const MAX_WINDOWS = 50;

interface Settings {
  schedule: string;
  timezone: string | null;
  offset: number | null;
  duration: number;
  cutoff: number;
  startDate: string | null;
  endDate: string | null;
}

function parseDate(text: string, field: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) throw new ApiError("ValidationException", `${field} ${text} is not an ISO-8601 date and time such as 2026-04-07T14:29:00-08:00.`);
  return ms;
}

/** Checks what the model can't: the schedule, the time zone, the offset, Cutoff < Duration, the dates. */
function checkSettings(s: Settings, now: number): { startAt: number | null; endAt: number | null } {
  let kind: string;
  try {
    kind = parseSchedule(s.schedule).kind;
  } catch (e) {
    if (e instanceof ScheduleError) throw new ApiError("ValidationException", e.message);
    throw e;
  }
  if (s.timezone !== null && !isTimeZone(s.timezone)) {
    throw new ApiError(
      "ValidationException",
      `ScheduleTimezone ${s.timezone} is not an IANA time zone; give one such as Europe/Berlin, America/Chicago or UTC.`,
    );
  }
  if (s.offset !== null && s.offset !== 0 && kind !== "cron") {
    throw new ApiError("ValidationException", `ScheduleOffset applies to cron schedules only; ${s.schedule} is a ${kind} schedule.`);
  }
  if (s.cutoff >= s.duration) {
    throw new ApiError(
      "ValidationException",
      `Cutoff (${s.cutoff} hours) must be less than Duration (${s.duration} hours): no task could start in the window. Lower the cutoff or lengthen the window.`,
    );
  }
  const startAt = s.startDate !== null ? parseDate(s.startDate, "StartDate") : null;
  const endAt = s.endDate !== null ? parseDate(s.endDate, "EndDate") : null;
  if (endAt !== null && endAt <= now) throw new ApiError("ValidationException", `EndDate ${s.endDate} is in the past; give a future date or leave it out.`);
  if (startAt !== null && endAt !== null && endAt <= startAt) {
    throw new ApiError("ValidationException", `EndDate ${s.endDate} is not after StartDate ${s.startDate}; the window would never be active.`);
  }
  return { startAt, endAt };
}

/** Where rate(...) schedules count from: StartDate when it is ahead, else now; cron offsets ignore matches before this. */
function anchorOf(schedule: string, startAt: number | null, now: number): number {
  const s = parseSchedule(schedule);
  // Starts fall on whole minutes, as the APIs show them (2026-12-06T02:00Z).
  if (s.rate) return startAt !== null && startAt > now ? startAt : Math.ceil((now + s.rate.ms) / 60_000) * 60_000;
  return startAt !== null && startAt > now ? startAt : now;
}

function computeNext(
  row: Pick<WindowRow, "schedule" | "schedule_timezone" | "schedule_offset" | "start_at" | "end_at" | "anchor_at">,
  now: number,
): number | null {
  return nextStart(row, now) ?? null;
}

export function windowIdentity(w: WindowRow): MaintenanceWindowIdentity {
  return {
    WindowId: w.window_id,
    Name: w.name,
    Description: orUndefined(w.description),
    Enabled: w.enabled === 1,
    Duration: w.duration,
    Cutoff: w.cutoff,
    Schedule: w.schedule,
    ScheduleTimezone: orUndefined(w.schedule_timezone),
    ScheduleOffset: orUndefined(w.schedule_offset),
    EndDate: orUndefined(w.end_date),
    StartDate: orUndefined(w.start_date),
    NextExecutionTime: w.enabled === 1 && w.next_execution_at !== null ? windowTime(w.next_execution_at, w.schedule_timezone) : undefined,
  };
}

function windowResult(w: WindowRow): GetMaintenanceWindowResult {
  return {
    ...windowIdentity(w),
    AllowUnassociatedTargets: w.allow_unassociated_targets === 1,
    CreatedDate: date(w.created_at),
    ModifiedDate: date(w.modified_at),
  };
}

const windowRef = (ctx: RequestContext, windowId: string) => ({
  arn: windowArn(ctx.scope, windowId),
  tags: () => getTags(ctx.services.db, ctx.scope, WINDOW_TAG_TYPE, windowId),
});

/** The columns a window's schedule settings are stored in (CreateMaintenanceWindow and UpdateMaintenanceWindow). */
function timingColumns(settings: Settings, startAt: number | null, endAt: number | null) {
  return {
    schedule: settings.schedule,
    schedule_timezone: settings.timezone,
    schedule_offset: settings.offset,
    start_date: settings.startDate,
    end_date: settings.endDate,
    start_at: startAt,
    end_at: endAt,
    duration: settings.duration,
    cutoff: settings.cutoff,
  };
}

/** Operations that act on one window: authorized on its ARN, the row handed to the handler. */
function onWindow(ctx: RequestContext, windowId: string | undefined) {
  return requireWindow(ctx, String(windowId)).then((row) => ({ resources: [windowRef(ctx, row.window_id)], prepared: row }));
}

export const createMaintenanceWindow = op<CreateMaintenanceWindowRequest, CreateMaintenanceWindowResult>({
  service: "ssm",
  name: "CreateMaintenanceWindow",
  resources: (ctx, input) => ({ resources: [{ arn: windowArn(ctx.scope, "*") }], context: requestTagKeys(input.Tags), prepared: undefined }),
  async handle(ctx, input) {
    const now = ctx.now().getTime();
    const settings: Settings = {
      schedule: String(input.Schedule).trim(),
      timezone: input.ScheduleTimezone ?? null,
      offset: input.ScheduleOffset ?? null,
      duration: Number(input.Duration),
      cutoff: Number(input.Cutoff),
      startDate: input.StartDate ?? null,
      endDate: input.EndDate ?? null,
    };
    const { startAt, endAt } = checkSettings(settings, now);
    const tags = (input.Tags ?? []).map((t) => ({ Key: String(t.Key), Value: String(t.Value ?? "") }));
    const problem = tagProblem({}, tags);
    if (problem) throw new ApiError("ValidationException", problem);
    const d = mwDb(ctx.services.db);
    if (input.ClientToken) {
      const prior = await d.selectFrom("mw_windows").selectAll().where(inScope(ctx.scope)).where("client_token", "=", input.ClientToken).executeTakeFirst();
      if (prior) {
        const same =
          prior.name === input.Name &&
          prior.schedule === settings.schedule &&
          prior.duration === settings.duration &&
          prior.cutoff === settings.cutoff &&
          prior.schedule_timezone === settings.timezone &&
          (prior.description ?? undefined) === input.Description;
        if (!same) {
          throw new ApiError(
            "IdempotentParameterMismatch",
            `ClientToken ${input.ClientToken} was used for a different maintenance window (${prior.window_id}); use a new token.`,
          );
        }
        return { WindowId: prior.window_id };
      }
    }
    const count = await d
      .selectFrom("mw_windows")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where(inScope(ctx.scope))
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_WINDOWS) {
      throw new ApiError(
        "ResourceLimitExceededException",
        `This account already has ${MAX_WINDOWS} maintenance windows in ${ctx.region}, the most allowed; delete one (DeleteMaintenanceWindow) first.`,
      );
    }
    const windowId = newWindowId();
    const row: WindowRow = {
      window_id: windowId,
      account_id: ctx.accountId,
      region: ctx.region,
      name: String(input.Name),
      description: input.Description ?? null,
      ...timingColumns(settings, startAt, endAt),
      allow_unassociated_targets: input.AllowUnassociatedTargets ? 1 : 0,
      enabled: 1,
      next_execution_at: null,
      anchor_at: anchorOf(settings.schedule, startAt, now),
      client_token: input.ClientToken ?? null,
      created_by: ctx.principal.arn,
      created_at: now,
      modified_at: now,
    };
    row.next_execution_at = computeNext(row, now);
    await ctx.transaction(async (tx) => {
      await mwDb(tx.db).insertInto("mw_windows").values(row).execute();
      if (tags.length) await putTags(tx.db, ctx.scope, WINDOW_TAG_TYPE, windowId, tags);
      tx.publish(windowStateEvent(ctx.scope, windowId, "CREATED"));
    });
    return { WindowId: windowId };
  },
});

export const getMaintenanceWindow = op<GetMaintenanceWindowRequest, GetMaintenanceWindowResult, WindowRow>({
  service: "ssm",
  name: "GetMaintenanceWindow",
  readOnly: true,
  resources: (ctx, input) => onWindow(ctx, input.WindowId),
  async handle(_ctx, _input, row) {
    return windowResult(row);
  },
});

export const updateMaintenanceWindow = op<UpdateMaintenanceWindowRequest, UpdateMaintenanceWindowResult, WindowRow>({
  service: "ssm",
  name: "UpdateMaintenanceWindow",
  resources: (ctx, input) => onWindow(ctx, input.WindowId),
  async handle(ctx, input, row) {
    const now = ctx.now().getTime();
    const replace = input.Replace === true;
    if (replace) {
      const missing = (["Name", "Schedule", "Duration", "Cutoff", "AllowUnassociatedTargets"] as const).filter((k) => input[k] === undefined);
      if (missing.length) throw new ApiError("ValidationException", `With Replace, give every required field of the window; missing: ${missing.join(", ")}.`);
    }
    const pick = <T>(given: T | undefined, current: T): T | null => (given !== undefined ? given : replace ? null : current);
    const settings: Settings = {
      schedule: String(input.Schedule ?? row.schedule).trim(),
      timezone: pick(input.ScheduleTimezone, row.schedule_timezone),
      offset: pick(input.ScheduleOffset, row.schedule_offset),
      duration: input.Duration ?? row.duration,
      cutoff: input.Cutoff ?? row.cutoff,
      startDate: pick(input.StartDate, row.start_date),
      endDate: pick(input.EndDate, row.end_date),
    };
    const { startAt, endAt } = checkSettings(settings, now);
    const timingChanged =
      settings.schedule !== row.schedule ||
      settings.timezone !== row.schedule_timezone ||
      settings.offset !== row.schedule_offset ||
      startAt !== row.start_at ||
      endAt !== row.end_at;
    const enabled = input.Enabled === undefined ? row.enabled : input.Enabled ? 1 : 0;
    const next: WindowRow = {
      ...row,
      name: input.Name ?? row.name,
      description: pick(input.Description, row.description),
      ...timingColumns(settings, startAt, endAt),
      allow_unassociated_targets: input.AllowUnassociatedTargets === undefined ? row.allow_unassociated_targets : input.AllowUnassociatedTargets ? 1 : 0,
      enabled,
      modified_at: now,
    };
    if (timingChanged) next.anchor_at = anchorOf(settings.schedule, startAt, now);
    // A schedule that changed, or a window enabled again, starts from now: starts missed while disabled are not run.
    if (timingChanged || (enabled === 1 && row.enabled === 0)) next.next_execution_at = computeNext(next, now);
    await ctx.transaction(async (tx) => {
      const { window_id: _id, account_id: _account, region: _region, ...changes } = next;
      await mwDb(tx.db).updateTable("mw_windows").set(changes).where("window_id", "=", row.window_id).execute();
      tx.publish(windowStateEvent(ctx.scope, row.window_id, "UPDATED"));
      if (enabled !== row.enabled) tx.publish(windowStateEvent(ctx.scope, row.window_id, enabled ? "ENABLED" : "DISABLED"));
    });
    return { ...windowIdentity(next), AllowUnassociatedTargets: next.allow_unassociated_targets === 1 };
  },
});

export const deleteMaintenanceWindow = op<DeleteMaintenanceWindowRequest, DeleteMaintenanceWindowResult>({
  service: "ssm",
  name: "DeleteMaintenanceWindow",
  resources: (ctx, input) => [windowRef(ctx, String(input.WindowId))],
  async handle(ctx, input) {
    const windowId = String(input.WindowId);
    const row = await getWindow(ctx.services.db, ctx.scope, windowId);
    // AWS answers a window that is not there with its id, as for one it deleted.
    if (!row) return { WindowId: windowId };
    await ctx.transaction(async (tx) => {
      const d = mwDb(tx.db);
      await d.deleteFrom("mw_targets").where("window_id", "=", windowId).execute();
      await d.deleteFrom("mw_tasks").where("window_id", "=", windowId).execute();
      await d.deleteFrom("mw_windows").where("window_id", "=", windowId).execute();
      await deleteAllTags(tx.db, ctx.scope, WINDOW_TAG_TYPE, windowId);
      tx.publish(windowStateEvent(ctx.scope, windowId, "DELETED"));
    });
    return { WindowId: windowId };
  },
});

export const describeMaintenanceWindows = op<DescribeMaintenanceWindowsRequest, DescribeMaintenanceWindowsResult>({
  service: "ssm",
  name: "DescribeMaintenanceWindows",
  readOnly: true,
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    const names: string[] = [];
    let enabled: number | undefined;
    for (const f of input.Filters ?? []) {
      const values = f.Values ?? [];
      if (f.Key === "Name") names.push(...values);
      else if (f.Key === "Enabled") {
        if (values.length !== 1 || !["true", "false"].includes(values[0].toLowerCase())) {
          throw new ApiError("ValidationException", "The Enabled filter takes one value, true or false.");
        }
        enabled = values[0].toLowerCase() === "true" ? 1 : 0;
      } else throw new ApiError("ValidationException", `${f.Key} is not a filter of DescribeMaintenanceWindows; use Name or Enabled.`);
    }
    const page = pageRequest(ctx, input, { query: [names, enabled], defaultSize: 10 });
    let q = mwDb(ctx.services.db).selectFrom("mw_windows").selectAll().where(inScope(ctx.scope));
    if (names.length) q = q.where("name", "in", names);
    if (enabled !== undefined) q = q.where("enabled", "=", enabled);
    if (page.after !== undefined) q = q.where("window_id", ">", page.after);
    const rows = await q
      .orderBy("window_id")
      .limit(page.size + 1)
      .execute();
    const { items, nextToken } = page.finish(rows, (r) => r.window_id);
    return { WindowIdentities: items.map(windowIdentity), NextToken: nextToken };
  },
});
