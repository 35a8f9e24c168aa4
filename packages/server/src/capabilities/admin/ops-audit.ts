import { ApiError } from "../../errors.js";
import { isNumber, isNumberAndString, pageRequest } from "../../http/paging.js";
import { ANY_RESOURCE, type OperationDef, op } from "../../runtime.js";

interface LookupAuditEventsInput {
  StartTime?: number;
  EndTime?: number;
  Principal?: string;
  Service?: string;
  Operation?: string;
  Outcome?: "Success" | "Failure";
  ErrorCode?: string;
  MaxResults?: number;
  NextToken?: string;
}

interface ListEventsInput {
  DetailType?: string;
  Source?: string;
  StartTime?: number;
  EndTime?: number;
  MaxResults?: number;
  NextToken?: string;
}

const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : Math.round(seconds * 1000));

function checkRange(start: number | undefined, end: number | undefined): void {
  if (start !== undefined && end !== undefined && start > end) {
    throw new ApiError("ValidationException", "StartTime is after EndTime: pass a StartTime at or before the EndTime.");
  }
}

/**
 * The audit trail and the event log of the caller's account, newest first. They show every principal's
 * calls and changes in the account, so they need their own actions (openssm:LookupAuditEvents,
 * openssm:ListEvents), which an administrator grants. Parameters were redacted when recorded.
 */
export const auditOperations: OperationDef<any, any, any>[] = [
  op<LookupAuditEventsInput, unknown>({
    service: "openssm",
    name: "LookupAuditEvents",
    action: "openssm:LookupAuditEvents",
    resources: ANY_RESOURCE,
    async handle(ctx, input) {
      checkRange(input.StartTime, input.EndTime);
      const { NextToken: _, MaxResults: __, ...query } = input;
      const page = pageRequest<number>(ctx, input, { query, defaultSize: 50, isKey: isNumber });
      // Records are written in batches: what was answered before this call is on disk first.
      await ctx.services.audit.flush();
      const records = await ctx.services.audit.query({
        accountId: ctx.accountId,
        since: ms(input.StartTime),
        until: ms(input.EndTime),
        principal: input.Principal,
        service: input.Service,
        operation: input.Operation,
        outcome: input.Outcome,
        errorCode: input.ErrorCode,
        afterSeq: page.after,
        newestFirst: true,
        limit: page.size + 1,
      });
      const { items, nextToken } = page.finish(records, (r) => r.seq as number);
      return {
        Events: items.map((r) => ({
          EventId: r.requestId,
          EventTime: new Date(r.time),
          AccountId: r.accountId ?? undefined,
          Region: r.region ?? undefined,
          PrincipalArn: r.principalArn ?? undefined,
          AccessKeyId: r.accessKeyId ?? undefined,
          SourceIp: r.sourceIp,
          Service: r.service,
          Operation: r.operation,
          Parameters: JSON.stringify(r.parameters),
          ErrorCode: r.errorCode ?? undefined,
          ErrorMessage: r.errorMessage ?? undefined,
          DurationMs: r.durationMs,
        })),
        NextToken: nextToken,
      };
    },
  }),
  op<ListEventsInput, unknown>({
    service: "openssm",
    name: "ListEvents",
    action: "openssm:ListEvents",
    resources: ANY_RESOURCE,
    async handle(ctx, input) {
      checkRange(input.StartTime, input.EndTime);
      const { NextToken: _, MaxResults: __, ...query } = input;
      const page = pageRequest<[number, string]>(ctx, input, { query, defaultSize: 50, isKey: isNumberAndString });
      const events = await ctx.services.events.listTimed({
        accountId: ctx.accountId,
        detailType: input.DetailType,
        source: input.Source,
        since: ms(input.StartTime),
        until: ms(input.EndTime),
        after: page.after,
        newestFirst: true,
        limit: page.size + 1,
      });
      const { items, nextToken } = page.finish(events, (e) => [e.at, e.event.id] as [number, string]);
      return {
        Events: items.map(({ event: e }) => ({
          Id: e.id,
          Time: new Date(e.time),
          DetailType: e["detail-type"],
          Source: e.source,
          Region: e.region,
          Resources: e.resources,
          Detail: JSON.stringify(e.detail),
        })),
        NextToken: nextToken,
      };
    },
  }),
];
