import type { AgentInfo, PluginRuntimeStatus, ResultStatus, SendReplyPayload } from "@openssm/protocol";
import { combinedOutput, STDERR_CAP, STDOUT_CAP } from "../exec/output-stream.js";
import type { StepRecord } from "./command-record.js";

/** The reply's runtimeStatus entry for a step (heads of stdout/stderr at offset 0, `output` as AWS builds it). */
export function stepRuntimeStatus(step: StepRecord): PluginRuntimeStatus & { standardOutputOffset?: number; standardErrorOffset?: number } {
  const out = step.standardOutput ?? "";
  const err = step.standardError ?? "";
  const status = (step.status || "NotStarted") as ResultStatus;
  return {
    status,
    code: status === "Failed" && step.code === 0 ? 1 : step.code,
    name: step.action,
    output: step.output || combinedOutput(out, err),
    startDateTime: step.startDateTime,
    endDateTime: step.endDateTime,
    outputS3BucketName: "",
    outputS3KeyPrefix: "",
    stepName: "",
    standardOutput: out.slice(0, STDOUT_CAP),
    standardError: err.slice(0, STDERR_CAP),
    standardOutputOffset: 0,
    standardErrorOffset: 0,
  };
}

/** Counts of steps by status (additionalInfo.runtimeStatusCounts). */
export function statusCounts(steps: StepRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of steps) if (s.status) counts[s.status] = (counts[s.status] ?? 0) + 1;
  return counts;
}

/** The document's status from its steps, as amazon-ssm-agent aggregates it. */
export function documentStatus(steps: StepRecord[]): ResultStatus {
  const c = statusCounts(steps);
  if (c.SuccessAndReboot) return "SuccessAndReboot";
  if (c.Failed) return "Failed";
  if (c.TimedOut) return "TimedOut";
  if (c.Cancelled) return "Cancelled";
  if ((c.Success ?? 0) + (c.Skipped ?? 0) === steps.length) return "Success";
  return "InProgress";
}

export function replyPayload(
  agent: AgentInfo,
  status: ResultStatus,
  runtimeStatus: Record<string, PluginRuntimeStatus> | null,
  counts: Record<string, number>,
  extra: { trace?: string; ableToOpenMGSConnection?: boolean } = {},
): SendReplyPayload {
  const additionalInfo: SendReplyPayload["additionalInfo"] = {
    agent,
    dateTime: new Date().toISOString(),
    runId: "",
    runtimeStatusCounts: counts,
  };
  if (extra.ableToOpenMGSConnection !== undefined) additionalInfo.ableToOpenMGSConnection = extra.ableToOpenMGSConnection;
  return { additionalInfo, documentStatus: status, documentTraceOutput: extra.trace ?? "", runtimeStatus };
}
