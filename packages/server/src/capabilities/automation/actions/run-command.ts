import { ApiError } from "../../../errors.js";
import { type Action, type ActionRun, str } from "./types.js";

/** How often a running command's status is read. */
const POLL_MS = 1000;
const FINAL = new Set(["Success", "Cancelled", "Failed", "TimedOut"]);
const PASSED = ["InstanceIds", "Targets", "Comment", "TimeoutSeconds", "MaxConcurrency", "MaxErrors", "DocumentVersion", "DocumentHash", "DocumentHashType"];
const PASSED_OBJECTS = ["CloudWatchOutputConfig", "NotificationConfig", "OutputS3BucketName", "OutputS3KeyPrefix", "OutputS3Region", "ServiceRoleArn"];

/** Runbook parameter values (typed) as SendCommand's Record<string, string[]>. */
function commandParameters(v: unknown): Record<string, string[]> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v))
    throw new ApiError("InvalidParameters", "Parameters of aws:runCommand must be a map of parameter names to values.");
  const out: Record<string, string[]> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) out[k] = Array.isArray(val) ? val.map(str) : [str(val)];
  return out;
}

/** The comment that finds the command again after a restart, when the runbook gives none. */
const marker = (r: ActionRun) => `Automation step ${r.step.step_execution_id}`;

function sendInput(r: ActionRun): Record<string, unknown> {
  const input: Record<string, unknown> = { DocumentName: str(r.inputs.DocumentName) };
  for (const k of [...PASSED, ...PASSED_OBJECTS]) if (r.inputs[k] !== undefined) input[k] = r.inputs[k];
  if (input.TimeoutSeconds !== undefined) input.TimeoutSeconds = Number(input.TimeoutSeconds);
  if (typeof input.InstanceIds === "string") input.InstanceIds = [input.InstanceIds];
  const params = commandParameters(r.inputs.Parameters);
  if (params) input.Parameters = params;
  if (input.Comment === undefined) input.Comment = marker(r);
  return input;
}

/** After a crash between SendCommand and saving its id: the command this step sent, found by its comment. */
async function findSent(r: ActionRun): Promise<string | undefined> {
  const after = new Date((r.step.started_at ?? r.now) - 1000).toISOString();
  const res = await r.call("ssm", "ListCommands", { Filters: [{ key: "InvokedAfter", value: after }], MaxResults: 50 });
  const hit = ((res.Commands as Record<string, unknown>[]) ?? []).find((c) => c.Comment === marker(r));
  return hit ? str(hit.CommandId) : undefined;
}

async function outcome(r: ActionRun, commandId: string) {
  const listed = await r.call("ssm", "ListCommands", { CommandId: commandId });
  const cmd = ((listed.Commands as Record<string, unknown>[]) ?? [])[0];
  const status = str(cmd?.Status);
  if (!FINAL.has(status)) return { done: false as const };
  const inv = await r.call("ssm", "ListCommandInvocations", { CommandId: commandId, Details: true });
  const invocations = (inv.CommandInvocations as Record<string, any>[]) ?? [];
  const first = invocations[0];
  const plugins = (first?.CommandPlugins as Record<string, unknown>[]) ?? [];
  const outputs = {
    CommandId: commandId,
    Status: status,
    ResponseCode: plugins.length ? Number(plugins[plugins.length - 1].ResponseCode ?? 0) : 0,
    Output: plugins.map((p) => str(p.Output)).join("\n"),
  };
  return { done: true as const, status, outputs, response: { Command: cmd, CommandInvocations: invocations } };
}

/**
 * aws:runCommand: sends the command through Run Command (SendCommand as the execution's identity,
 * so it really runs on the nodes) and polls it until it ends; outputs CommandId, Status,
 * ResponseCode and Output (the first node's).
 */
export const runCommandAction: Action = {
  async run(r) {
    let commandId: string | undefined = r.state?.commandId;
    if (!commandId && r.state?.sending && r.inputs.Comment === undefined) commandId = await findSent(r);
    if (!commandId) {
      if (!r.state?.sending) return { kind: "wait", state: { sending: true }, wakeAt: r.now };
      try {
        const sent = await r.call("ssm", "SendCommand", sendInput(r));
        commandId = str((sent.Command as Record<string, unknown>).CommandId);
      } catch (e) {
        if (e instanceof ApiError) return { kind: "failed", message: `SendCommand failed: ${e.code}: ${e.message}` };
        throw e;
      }
      return { kind: "wait", state: { commandId }, wakeAt: r.now + POLL_MS };
    }
    const o = await outcome(r, commandId);
    if (!o.done) return { kind: "wait", state: { commandId }, wakeAt: r.now + POLL_MS };
    if (o.status === "Success") return { kind: "success", outputs: o.outputs, response: o.response };
    return {
      kind: "failed",
      message: `Command ${commandId} ended ${o.status}: ${o.outputs.Output.slice(0, 1000)}`,
      status: o.status === "TimedOut" ? "TimedOut" : o.status === "Cancelled" ? "Cancelled" : "Failed",
      outputs: o.outputs,
      response: o.response,
    };
  },
  async cancel(r) {
    if (r.state?.commandId) await r.call("ssm", "CancelCommand", { CommandId: r.state.commandId }).catch(() => undefined);
  },
};
