import { randomUUID } from "node:crypto";
import type { GetExecutionPreviewRequest, GetExecutionPreviewResponse, StartExecutionPreviewRequest, StartExecutionPreviewResponse } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { op } from "../../runtime.js";
import { inScope } from "../../storage/scope.js";
import { loopSteps, type RunbookStep, toRunbook } from "./runbook.js";
import { prepareStart } from "./start.js";
import { definitionArn } from "./statuses.js";
import { automationDb } from "./tables.js";

const READ_ONLY_API = /^(Describe|Get|List)/;

/** Whether a step changes anything: API calls that only read don't; runCommand, scripts and tags may. */
function impact(step: RunbookStep): "Mutating" | "NonMutating" | "Undetermined" {
  switch (step.action) {
    case "aws:executeAwsApi":
    case "aws:assertAwsResourceProperty":
    case "aws:waitForAwsResourceProperty":
      return READ_ONLY_API.test(String(step.inputs.Api ?? "").replace(/^./, (c) => c.toUpperCase())) ? "NonMutating" : "Mutating";
    case "aws:createTags":
    case "aws:runCommand":
      return "Mutating";
    case "aws:executeScript":
    case "aws:executeAutomation":
    case "aws:invokeWebhook":
      return "Undetermined";
    default:
      return "NonMutating";
  }
}

/**
 * StartExecutionPreview: what StartAutomationExecution would do with these inputs — how many targets
 * (managed nodes or parameter values) and how many steps of each impact — worked out at once (the
 * preview is Success, or Failed with the reason, by the time the call returns).
 */
export const startExecutionPreview = op<StartExecutionPreviewRequest, StartExecutionPreviewResponse>({
  service: "ssm",
  name: "StartExecutionPreview",
  async resources(ctx, input) {
    return [{ arn: definitionArn(ctx.scope, String(input.DocumentName), input.DocumentVersion ?? "$DEFAULT") }];
  },
  async handle(ctx, input) {
    const id = randomUUID();
    const now = ctx.now().getTime();
    const inputs = input.ExecutionInputs?.Automation ?? {};
    let status = "Success";
    let message: string | null = null;
    let preview: unknown = null;
    try {
      const p = await prepareStart(ctx, {
        documentName: String(input.DocumentName),
        documentVersion: input.DocumentVersion,
        parameters: inputs.Parameters,
        targets: inputs.Targets,
        targetMaps: inputs.TargetMaps,
        targetParameterName: inputs.TargetParameterName,
        targetLocations: inputs.TargetLocations as Record<string, unknown>[] | undefined,
      });
      const steps = toRunbook(p.doc.content).mainSteps.flatMap((s) => (s.action === "aws:loop" ? loopSteps(s) : [s]));
      const stepPreviews: Record<string, number> = {};
      for (const s of steps) stepPreviews[impact(s)] = (stepPreviews[impact(s)] ?? 0) + 1;
      const targetType = inputs.TargetMaps?.length
        ? "TargetMap"
        : inputs.Targets?.every((t) => t.Key === "ParameterValues")
          ? "ParameterValues"
          : "AWS::SSM::ManagedInstance";
      preview = {
        Automation: {
          StepPreviews: stepPreviews,
          Regions: [ctx.region],
          TargetPreviews: p.plan ? [{ Count: p.plan.length, TargetType: targetType }] : [],
          TotalAccounts: 1,
        },
      };
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      status = "Failed";
      message = `${e.code}: ${e.message}`;
    }
    await ctx.transaction(async (tx) => {
      await automationDb(tx.db)
        .insertInto("automation_previews")
        .values({
          preview_id: id,
          account_id: ctx.accountId,
          region: ctx.region,
          status,
          status_message: message,
          created_at: now,
          ended_at: now,
          preview: preview ? JSON.stringify(preview) : null,
        })
        .execute();
    });
    return { ExecutionPreviewId: id };
  },
});

export const getExecutionPreview = op<GetExecutionPreviewRequest, GetExecutionPreviewResponse>({
  service: "ssm",
  name: "GetExecutionPreview",
  readOnly: true,
  async resources(ctx, input) {
    return [{ arn: ctx.arn("ssm", `execution-preview/${input.ExecutionPreviewId}`) }];
  },
  async handle(ctx, input) {
    const row = await automationDb(ctx.services.db)
      .selectFrom("automation_previews")
      .selectAll()
      .where(inScope(ctx))
      .where("preview_id", "=", String(input.ExecutionPreviewId))
      .executeTakeFirst();
    if (!row) throw new ApiError("ResourceNotFoundException", `Execution preview ${input.ExecutionPreviewId} does not exist in this account and region.`);
    return {
      ExecutionPreviewId: row.preview_id,
      EndedAt: row.ended_at === null ? undefined : new Date(row.ended_at),
      Status: row.status as GetExecutionPreviewResponse["Status"],
      StatusMessage: row.status_message ?? undefined,
      ExecutionPreview: row.preview ? JSON.parse(row.preview) : undefined,
    };
  },
});
