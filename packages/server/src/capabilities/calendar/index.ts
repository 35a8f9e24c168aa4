import type { GetCalendarStateRequest, GetCalendarStateResponse } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { type Capability, op, type RequestContext } from "../../runtime.js";
import { getDocumentForExecution, type ResolvedDocument } from "../documents/index.js";
import { type CalendarModel, type CalendarStateName, evaluate, isoSeconds, modelOf } from "./model.js";
import { calendarMigrations } from "./tables.js";
import { publishCalendarTransitions } from "./transitions.js";

export type { CalendarStateName } from "./model.js";
export { isoSeconds } from "./model.js";

export interface CalendarStateResult {
  state: CalendarStateName;
  /** The instant evaluated (epoch ms). */
  atTime: number;
  /** When the combined state next changes (epoch ms), if it does within five years. */
  nextTransitionTime?: number;
}

async function loadCalendar(ctx: RequestContext, name: string): Promise<{ doc: ResolvedDocument; model: CalendarModel }> {
  const doc = await getDocumentForExecution(ctx, name);
  if (doc.documentType !== "ChangeCalendar") {
    throw new ApiError("InvalidDocumentType", `${name} is a document of type ${doc.documentType}; name documents of type ChangeCalendar.`);
  }
  try {
    const model = modelOf(doc.name, doc.format, doc.rawContent, doc.content);
    return { doc, model };
  } catch (e) {
    throw new ApiError("UnsupportedCalendarException", `The calendar ${name} can't be evaluated: ${(e as Error).message}`);
  }
}

/**
 * GetCalendarState's answer for calendars (names or ARNs) at `at` (now by default): CLOSED if any is
 * closed, and when that changes. Unknown calendar → InvalidDocument; not a calendar →
 * InvalidDocumentType. Called by another capability (State Manager's CalendarNames, maintenance
 * window tasks, Change Manager), the evaluation is written to the audit trail as a GetCalendarState
 * made by the caller on whose behalf it runs.
 */
export async function calendarState(ctx: RequestContext, names: string[], at?: number): Promise<CalendarStateResult> {
  const atTime = at ?? ctx.services.clock.now();
  const started = performance.now();
  let result: CalendarStateResult | undefined;
  let error: ApiError | undefined;
  try {
    const models = await Promise.all(names.map(async (n) => (await loadCalendar(ctx, n)).model));
    const { state, nextTransitionTime } = evaluate(models, atTime);
    result = { state, atTime, nextTransitionTime };
    return result;
  } catch (e) {
    error = e instanceof ApiError ? e : undefined;
    throw e;
  } finally {
    if (ctx.operation !== "GetCalendarState") {
      ctx.services.audit.record({
        time: ctx.services.clock.now(),
        requestId: ctx.requestId,
        accountId: ctx.accountId,
        region: ctx.region,
        principalArn: ctx.principal.arn,
        accessKeyId: ctx.accessKeyId || null,
        sourceIp: ctx.sourceIp,
        service: "ssm",
        operation: "GetCalendarState",
        parameters: { CalendarNames: names, AtTime: isoSeconds(atTime), evaluatedFor: ctx.operation, State: result?.state },
        errorCode: error ? error.code : result ? null : "InternalServerError",
        errorMessage: error?.message ?? null,
        durationMs: performance.now() - started,
      });
    }
  }
}

/** AtTime: an ISO 8601 date and time; without a zone it is UTC. */
function parseAtTime(text: string): number {
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(text) && text.includes("T");
  const ms = iso.test(text) ? Date.parse(text.includes("T") && !hasZone ? `${text}Z` : text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new ApiError("ValidationException", `AtTime ${text} is not an ISO 8601 date and time; give one such as 2026-12-24T10:00:00Z.`);
  }
  return ms;
}

export const getCalendarState = op<GetCalendarStateRequest, GetCalendarStateResponse, ResolvedDocument[]>({
  service: "ssm",
  name: "GetCalendarState",
  readOnly: true,
  async resources(ctx, input) {
    const names = input.CalendarNames ?? [];
    if (names.length === 0) throw new ApiError("ValidationException", "CalendarNames must name at least one ChangeCalendar document.");
    const docs = await Promise.all(names.map(async (n) => (await loadCalendar(ctx, n)).doc));
    return { resources: docs.map((d) => ({ arn: d.arn })), prepared: docs };
  },
  async handle(ctx, input) {
    const at = input.AtTime ? parseAtTime(input.AtTime) : undefined;
    const r = await calendarState(ctx, input.CalendarNames ?? [], at);
    return {
      State: r.state,
      AtTime: isoSeconds(r.atTime),
      ...(r.nextTransitionTime !== undefined ? { NextTransitionTime: isoSeconds(r.nextTransitionTime) } : {}),
    };
  },
});

/**
 * Change Calendar: GetCalendarState over documents of type ChangeCalendar, calendarState() for other
 * capabilities, and "Calendar State Change" events when a calendar opens or closes.
 */
export const calendarCapability: Capability = {
  name: "calendar",
  migrations: calendarMigrations,
  operations: [getCalendarState],
  start(services) {
    services.scheduler.register({ name: "calendar-transitions", run: (now) => publishCalendarTransitions(services, now) });
  },
};
