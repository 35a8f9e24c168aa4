import type {
  DescribeAutomationExecutionsRequest,
  DescribeAutomationExecutionsResult,
  DescribeAutomationStepExecutionsRequest,
  DescribeAutomationStepExecutionsResult,
  GetAutomationExecutionRequest,
  GetAutomationExecutionResult,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { isNumberAndString, pageOf, pageRequest } from "../../http/paging.js";
import { ANY_RESOURCE, op, type RequestContext } from "../../runtime.js";
import { inScope } from "../../storage/scope.js";
import { findByTag, getTags } from "../tags/index.js";
import { EXECUTION_TAG_TYPE } from "./start.js";
import { executionArn } from "./statuses.js";
import { children, getScopedExecution, listSteps } from "./store.js";
import { automationDb, type ExecutionRow } from "./tables.js";
import { executionView, metadataView, stepView } from "./views.js";

export async function findExecution(ctx: RequestContext, id: string): Promise<ExecutionRow> {
  const row = await getScopedExecution(ctx.services.db, ctx.scope, id);
  if (!row) throw new ApiError("AutomationExecutionNotFoundException", `Automation execution ${id} does not exist in this account and region.`);
  return row;
}

/** An execution as authorization sees it: its ARN and its tags (aws:ResourceTag conditions, as just-in-time approvers' policies use). */
export const executionResource = (ctx: RequestContext, id: string) => ({
  arn: executionArn(ctx.scope, id),
  tags: () => getTags(ctx.services.db, ctx.scope, EXECUTION_TAG_TYPE, id),
});

export const getAutomationExecution = op<GetAutomationExecutionRequest, GetAutomationExecutionResult, ExecutionRow>({
  service: "ssm",
  name: "GetAutomationExecution",
  readOnly: true,
  async resources(ctx, input) {
    const row = await findExecution(ctx, String(input.AutomationExecutionId));
    return { resources: [executionResource(ctx, row.execution_id)], prepared: row };
  },
  async handle(ctx, _input, row) {
    const steps = await listSteps(ctx.services.db, row.execution_id);
    const kids = row.resolved_targets ? await children(ctx.services.db, row.execution_id) : [];
    return { AutomationExecution: executionView(row, steps, kids) };
  },
});

function times(values: string[], key: string): number {
  const t = Date.parse(values[0]);
  if (!Number.isFinite(t)) throw new ApiError("InvalidFilterValue", `${key} takes a time such as 2026-01-31T10:00:00Z, not ${values[0]}.`);
  return t;
}

/** DescribeAutomationExecutions: newest first, every filter of the model. */
export const describeAutomationExecutions = op<DescribeAutomationExecutionsRequest, DescribeAutomationExecutionsResult>({
  service: "ssm",
  name: "DescribeAutomationExecutions",
  readOnly: true,
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    const paging = pageRequest<[number, string]>(ctx, input, { query: input.Filters ?? null, defaultSize: 25, isKey: isNumberAndString });
    let q = automationDb(ctx.services.db).selectFrom("automation_executions").selectAll().where(inScope(ctx));
    for (const f of input.Filters ?? []) {
      const values = (f.Values ?? []).map(String);
      switch (f.Key) {
        case "DocumentNamePrefix":
          q = q.where((eb) => eb.or(values.map((v) => eb("document_name", "like", `${v.replace(/[%_\\]/g, "\\$&")}%`))));
          break;
        case "ExecutionStatus":
          q = q.where("status", "in", values);
          break;
        case "ExecutionId":
          q = q.where("execution_id", "in", values);
          break;
        case "ParentExecutionId":
          q = q.where("parent_execution_id", "in", values);
          break;
        case "CurrentAction":
          q = q.where("current_action", "in", values);
          break;
        case "StartTimeBefore":
          q = q.where("started_at", "<=", times(values, f.Key));
          break;
        case "StartTimeAfter":
          q = q.where("started_at", ">=", times(values, f.Key));
          break;
        case "AutomationType":
          if (!values.includes("Local")) q = q.where("execution_id", "=", "");
          break;
        case "TagKey": {
          const ids = new Set<string>();
          for (const v of values) {
            const [key, value] = v.includes("=") ? [v.slice(0, v.indexOf("=")), v.slice(v.indexOf("=") + 1)] : [v, undefined];
            for (const id of await findByTag(ctx.services.db, ctx.scope, EXECUTION_TAG_TYPE, key, value === undefined ? [] : [value])) ids.add(id);
          }
          q = q.where("execution_id", "in", ids.size ? [...ids] : [""]);
          break;
        }
        case "AutomationSubtype":
          q = q.where("automation_subtype", "in", values);
          break;
        case "OpsItemId":
          q = q.where("ops_item_id", "in", values);
          break;
        case "TargetResourceGroup":
          // openssm has no resource groups: nothing matches.
          q = q.where("execution_id", "=", "");
          break;
        default:
          throw new ApiError("InvalidFilterKey", `${f.Key} is not a filter of DescribeAutomationExecutions.`);
      }
    }
    const after = paging.after;
    if (after) q = q.where((eb) => eb.or([eb("started_at", "<", after[0]), eb.and([eb("started_at", "=", after[0]), eb("execution_id", ">", after[1])])]));
    const rows = await q
      .orderBy("started_at", "desc")
      .orderBy("execution_id")
      .limit(paging.size + 1)
      .execute();
    const page = paging.finish(rows, (r) => [r.started_at, r.execution_id] as [number, string]);
    return { AutomationExecutionMetadataList: page.items.map(metadataView), NextToken: page.nextToken };
  },
});

const STEP_FILTERS = [
  "StartTimeBefore",
  "StartTimeAfter",
  "StepExecutionStatus",
  "StepExecutionId",
  "StepName",
  "Action",
  "ParentStepExecutionId",
  "ParentStepIteration",
  "ParentStepIteratorValue",
];

/** DescribeAutomationStepExecutions: in the order they ran (ReverseOrder: newest first), with the model's filters. */
export const describeAutomationStepExecutions = op<DescribeAutomationStepExecutionsRequest, DescribeAutomationStepExecutionsResult, ExecutionRow>({
  service: "ssm",
  name: "DescribeAutomationStepExecutions",
  readOnly: true,
  async resources(ctx, input) {
    const row = await findExecution(ctx, String(input.AutomationExecutionId));
    return { resources: [executionResource(ctx, row.execution_id)], prepared: row };
  },
  async handle(ctx, input, row) {
    const steps = await listSteps(ctx.services.db, row.execution_id);
    const byId = new Map(steps.map((s) => [s.step_execution_id, s]));
    let picked = steps;
    for (const f of input.Filters ?? []) {
      if (!STEP_FILTERS.includes(String(f.Key))) throw new ApiError("InvalidFilterKey", `${f.Key} is not a filter of DescribeAutomationStepExecutions.`);
      const values = (f.Values ?? []).map(String);
      picked = picked.filter((s) => {
        switch (f.Key) {
          case "StartTimeBefore":
            return s.started_at !== null && s.started_at <= times(values, f.Key);
          case "StartTimeAfter":
            return s.started_at !== null && s.started_at >= times(values, f.Key);
          case "StepExecutionStatus":
            return values.includes(s.status);
          case "StepExecutionId":
            return values.includes(s.step_execution_id);
          case "StepName":
            return values.includes(s.step_name);
          case "Action":
            return values.includes(s.action);
          case "ParentStepExecutionId":
            return s.parent_step_execution_id !== null && values.includes(s.parent_step_execution_id);
          case "ParentStepIteration":
            return s.iteration !== null && values.includes(String(s.iteration));
          default:
            return s.iterator_value !== null && values.includes(String(JSON.parse(s.iterator_value)));
        }
      });
    }
    const key = (s: (typeof steps)[number]) => String(s.seq).padStart(8, "0");
    const page = pageOf(ctx, picked, key, input, {
      query: [row.execution_id, input.Filters ?? null, Boolean(input.ReverseOrder)],
      defaultSize: 50,
      descending: Boolean(input.ReverseOrder),
    });
    return { StepExecutions: page.items.map((s) => stepView(s, byId)), NextToken: page.nextToken };
  },
});
