import type {
  DescribeMaintenanceWindowScheduleRequest,
  DescribeMaintenanceWindowScheduleResult,
  DescribeMaintenanceWindowsForTargetRequest,
  DescribeMaintenanceWindowsForTargetResult,
  PatchOrchestratorFilter,
  Target,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { pageOf } from "../../http/paging.js";
import { ANY_RESOURCE, op, type RequestContext } from "../../runtime.js";
import { inScope } from "../../storage/scope.js";
import { resolveTargets } from "../nodes/index.js";
import { windowResource } from "./ops-targets.js";
import { nextStart, windowTime } from "./schedule.js";
import { requireWindow } from "./store.js";
import { mwDb, type WindowRow } from "./tables.js";

/** How many upcoming starts of each window DescribeMaintenanceWindowSchedule lists. */
const UPCOMING = 50;

async function nodesOf(ctx: RequestContext, targets: Target[]): Promise<Set<string>> {
  try {
    return new Set(await resolveTargets(ctx, { Targets: targets }));
  } catch (e) {
    if (e instanceof ApiError) return new Set();
    throw e;
  }
}

/** The windows of this account and region with a registered target that names or reaches the given targets. */
async function windowsForTargets(ctx: RequestContext, targets: Target[]): Promise<WindowRow[]> {
  const d = mwDb(ctx.services.db);
  const rows = await d.selectFrom("mw_targets").selectAll().where(inScope(ctx.scope)).execute();
  const wanted = await nodesOf(ctx, targets);
  const literal = (a: Target[]) => a.some((x) => targets.some((t) => t.Key === x.Key && (t.Values ?? []).some((v) => x.Values?.includes(v))));
  const ids = new Set<string>();
  for (const r of rows) {
    if (ids.has(r.window_id)) continue;
    const registered = JSON.parse(r.targets) as Target[];
    if (literal(registered)) {
      ids.add(r.window_id);
      continue;
    }
    if (wanted.size === 0) continue;
    for (const id of await nodesOf(ctx, registered)) {
      if (wanted.has(id)) {
        ids.add(r.window_id);
        break;
      }
    }
  }
  if (ids.size === 0) return [];
  return d
    .selectFrom("mw_windows")
    .selectAll()
    .where(inScope(ctx.scope))
    .where("window_id", "in", [...ids])
    .orderBy("window_id")
    .execute();
}

/** Filters of DescribeMaintenanceWindowSchedule: ScheduledAfter / ScheduledBefore, each one ISO 8601 time (both ends included). */
function scheduleFilters(filters: PatchOrchestratorFilter[] | undefined): { after?: number; before?: number } {
  const out: { after?: number; before?: number } = {};
  for (const f of filters ?? []) {
    if (f.Key !== "ScheduledAfter" && f.Key !== "ScheduledBefore") {
      throw new ApiError("ValidationException", `Filter key ${f.Key} is not supported here; use ScheduledAfter or ScheduledBefore with an ISO 8601 time.`);
    }
    const values = f.Values ?? [];
    const ms = values.length === 1 && /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(values[0]) ? Date.parse(values[0]) : Number.NaN;
    if (Number.isNaN(ms)) {
      throw new ApiError("ValidationException", `Filter ${f.Key} takes one ISO 8601 time such as 2026-02-15T06:00:00Z; got ${JSON.stringify(values)}.`);
    }
    if (f.Key === "ScheduledAfter") out.after = Math.max(out.after ?? ms, ms);
    else out.before = Math.min(out.before ?? ms, ms);
  }
  return out;
}

export const describeMaintenanceWindowSchedule = op<DescribeMaintenanceWindowScheduleRequest, DescribeMaintenanceWindowScheduleResult, WindowRow | undefined>({
  service: "ssm",
  name: "DescribeMaintenanceWindowSchedule",
  readOnly: true,
  async resources(ctx, input) {
    scheduleFilters(input.Filters);
    if (input.WindowId) {
      const w = await requireWindow(ctx, input.WindowId);
      return { resources: [windowResource(ctx, w)], prepared: w };
    }
    if (!input.Targets?.length) throw new ApiError("ValidationException", "Give WindowId, or Targets and ResourceType, to list upcoming window executions.");
    return { resources: ANY_RESOURCE(), prepared: undefined };
  },
  async handle(ctx, input, w) {
    const { after, before } = scheduleFilters(input.Filters);
    const windows = w ? [w] : await windowsForTargets(ctx, input.Targets ?? []);
    const items: { WindowId: string; Name: string; ExecutionTime: string; at: number }[] = [];
    for (const win of windows) {
      if (win.enabled !== 1 || win.next_execution_at === null) continue;
      // The upcoming starts: from the next one, or from the first at or after ScheduledAfter.
      let at: number | undefined = after === undefined || after <= win.next_execution_at ? win.next_execution_at : nextStart(win, after - 1);
      for (let n = 0; n < UPCOMING && at !== undefined && (before === undefined || at <= before); n++) {
        items.push({ WindowId: win.window_id, Name: win.name, ExecutionTime: windowTime(at, win.schedule_timezone), at });
        at = nextStart(win, at);
      }
    }
    const key = (i: (typeof items)[number]) => `${String(i.at).padStart(15, "0")}:${i.WindowId}`;
    const page = pageOf(ctx, items, key, input, { query: [input.WindowId, input.Targets, input.ResourceType, input.Filters], defaultSize: 25 });
    return { ScheduledWindowExecutions: page.items.map(({ at: _at, ...rest }) => rest), NextToken: page.nextToken };
  },
});

export const describeMaintenanceWindowsForTarget = op<DescribeMaintenanceWindowsForTargetRequest, DescribeMaintenanceWindowsForTargetResult>({
  service: "ssm",
  name: "DescribeMaintenanceWindowsForTarget",
  readOnly: true,
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    const windows = await windowsForTargets(ctx, input.Targets ?? []);
    const page = pageOf(ctx, windows, (x) => x.window_id, input, { query: [input.Targets, input.ResourceType], defaultSize: 10 });
    return { WindowIdentities: page.items.map((x) => ({ WindowId: x.window_id, Name: x.name })), NextToken: page.nextToken };
  },
});
