import type { StartAutomationExecutionRequest, StartAutomationExecutionResult } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { op } from "../../runtime.js";
import { kick } from "./executor.js";
import { byClientToken, insertExecution, type PreparedStart, prepareStart, type StartRequest } from "./start.js";
import { definitionArn } from "./statuses.js";

export function startRequestOf(input: StartAutomationExecutionRequest): StartRequest {
  return {
    documentName: String(input.DocumentName),
    documentVersion: input.DocumentVersion,
    parameters: input.Parameters,
    mode: input.Mode,
    targets: input.Targets,
    targetMaps: input.TargetMaps,
    targetParameterName: input.TargetParameterName,
    targetLocations: input.TargetLocations as Record<string, unknown>[] | undefined,
    maxConcurrency: input.MaxConcurrency,
    maxErrors: input.MaxErrors,
    tags: input.Tags as { Key: string; Value: string }[] | undefined,
    clientToken: input.ClientToken,
    alarmConfiguration: input.AlarmConfiguration,
  };
}

/**
 * StartAutomationExecution: resolves the runbook (Automation documents only), checks the parameters
 * (InvalidAutomationExecutionParametersException naming them), the assume role (iam:PassRole) and
 * the targets, records the execution and hands it to the executor.
 */
export const startAutomationExecution = op<StartAutomationExecutionRequest, StartAutomationExecutionResult, PreparedStart>({
  service: "ssm",
  name: "StartAutomationExecution",
  async resources(ctx, input) {
    if (input.TargetLocationsURL) {
      throw new ApiError(
        "InvalidTarget",
        "openssm runs automations in this account and region only; TargetLocationsURL (an S3 file of locations) is not supported.",
      );
    }
    const prepared = await prepareStart(ctx, startRequestOf(input));
    return { resources: [{ arn: definitionArn(ctx.scope, prepared.doc.name, input.DocumentVersion ?? "$DEFAULT") }], prepared };
  },
  async handle(ctx, input, prepared) {
    if (input.ClientToken) {
      const earlier = await byClientToken(ctx, input.ClientToken);
      if (earlier) {
        if (earlier.document_name !== prepared.doc.name) {
          throw new ApiError("IdempotentParameterMismatch", `ClientToken ${input.ClientToken} was used to start ${earlier.document_name}; use a new token.`);
        }
        return { AutomationExecutionId: earlier.execution_id };
      }
    }
    const id = await insertExecution(ctx, prepared);
    kick(ctx.services, id);
    return { AutomationExecutionId: id };
  },
});
