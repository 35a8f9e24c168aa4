import type {
  DescribeSessionsRequest,
  DescribeSessionsResponse,
  GetConnectionStatusRequest,
  GetConnectionStatusResponse,
  Session,
  TerminateSessionRequest,
  TerminateSessionResponse,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { ANY_RESOURCE, op } from "../../runtime.js";
import { getNode, nodeArn, nodeTags } from "../nodes/index.js";
import { isNumberAndString, pageRequest } from "../../http/paging.js";
import { nodeConnection } from "./control-link.js";
import { sessionHub } from "./session-hub.js";
import { findSession, isActive, sessionArn } from "./store.js";
import { ACTIVE_STATUSES, HISTORY_STATUSES, type SessionRow, sessionDb } from "./tables.js";
import { inScope } from "../../storage/scope.js";

const STATUSES = [...ACTIVE_STATUSES, ...HISTORY_STATUSES] as string[];

function toSession(r: SessionRow): Session {
  const out = r.output_url ? (JSON.parse(r.output_url) as Session["OutputUrl"]) : undefined;
  return {
    SessionId: r.session_id,
    Target: r.target,
    Status: r.status as Session["Status"],
    StartDate: new Date(r.start_date),
    ...(r.end_date !== null ? { EndDate: new Date(r.end_date) } : {}),
    DocumentName: r.document_name,
    Owner: r.owner,
    ...(r.reason ? { Reason: r.reason } : {}),
    ...(r.details ? { Details: r.details } : {}),
    ...(out ? { OutputUrl: out } : {}),
    ...(r.max_session_duration ? { MaxSessionDuration: r.max_session_duration } : {}),
    AccessType: "Standard",
  };
}

function timeFilter(key: string, value: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) {
    throw new ApiError("ValidationException", `The ${key} filter takes a date and time such as 2024-01-31T00:00:00Z; '${value}' is not one.`);
  }
  return t;
}

const terminateSession = op<TerminateSessionRequest, TerminateSessionResponse>({
  service: "ssm",
  name: "TerminateSession",
  resources: (ctx, input) => [{ arn: sessionArn(ctx, String(input.SessionId)) }],
  async handle(ctx, input) {
    const sessionId = String(input.SessionId);
    const row = await findSession(ctx.services.db, ctx, sessionId);
    if (row && isActive(row.status)) await sessionHub(ctx.services).end(ctx, sessionId, "terminated");
    return { SessionId: sessionId };
  },
});

const describeSessions = op<DescribeSessionsRequest, DescribeSessionsResponse>({
  service: "ssm",
  name: "DescribeSessions",
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    const limit = input.MaxResults ?? 20;
    let q = sessionDb(ctx.services.db)
      .selectFrom("sessions")
      .selectAll()
      .where(inScope(ctx))
      .where("status", "in", input.State === "Active" ? [...ACTIVE_STATUSES] : [...HISTORY_STATUSES]);
    for (const f of input.Filters ?? []) {
      const value = String(f.value);
      switch (f.key) {
        case "InvokedAfter":
          q = q.where("start_date", ">=", timeFilter(f.key, value));
          break;
        case "InvokedBefore":
          q = q.where("start_date", "<=", timeFilter(f.key, value));
          break;
        case "Target":
          q = q.where("target", "=", value);
          break;
        case "Owner":
          q = q.where((eb) => eb.or([eb("owner", "=", value), eb("owner", "like", `%/${value.replace(/[%_\\]/g, "")}`)]));
          break;
        case "Status":
          if (!STATUSES.includes(value))
            throw new ApiError("ValidationException", `The Status filter takes one of ${STATUSES.join(", ")}; '${value}' is not one.`);
          q = q.where("status", "=", value);
          break;
        case "SessionId":
          q = q.where("session_id", "=", value);
          break;
        case "AccessType":
          if (value !== "Standard") q = q.where("session_id", "=", "");
          break;
        default:
          throw new ApiError("InvalidFilterKey", `DescribeSessions has no filter ${f.key}.`);
      }
    }
    const paging = pageRequest<[number, string]>(ctx, input, { query: [input.State, input.Filters ?? null], defaultSize: limit, isKey: isNumberAndString });
    const after = paging.after && { s: paging.after[0], i: paging.after[1] };
    if (after) q = q.where((eb) => eb.or([eb("start_date", "<", after.s), eb.and([eb("start_date", "=", after.s), eb("session_id", "<", after.i)])]));
    const rows = await q
      .orderBy("start_date", "desc")
      .orderBy("session_id", "desc")
      .limit(paging.size + 1)
      .execute();
    const { items, nextToken } = paging.finish(rows, (r): [number, string] => [Number(r.start_date), r.session_id]);
    return { Sessions: items.map(toSession), ...(nextToken ? { NextToken: nextToken } : {}) };
  },
});

const getConnectionStatus = op<GetConnectionStatusRequest, GetConnectionStatusResponse>({
  service: "ssm",
  name: "GetConnectionStatus",
  resources: (ctx, input) => [{ arn: nodeArn(ctx, String(input.Target)), tags: () => nodeTags(ctx.services.db, ctx, String(input.Target)) }],
  async handle(ctx, input) {
    const target = String(input.Target);
    const node = await getNode(ctx.services.db, ctx, target, ctx.services.clock.now());
    const connected = node !== undefined && !node.deregistered && (await nodeConnection(ctx.services, target)) !== undefined;
    return { Target: target, Status: connected ? "connected" : "notconnected" };
  },
});

export const describeOperations = [terminateSession, describeSessions, getConnectionStatus];
