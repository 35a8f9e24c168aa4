import {
  type AutomationExecution,
  CreateDocumentCommand,
  GetAutomationExecutionCommand,
  type SSMClient,
  StartAutomationExecutionCommand,
  type StartAutomationExecutionCommandInput,
} from "@aws-sdk/client-ssm";
import { eventually, type TestServer } from "../harness/index.js";

export const FINAL = new Set(["Success", "Failed", "TimedOut", "Cancelled"]);

/** Creates an Automation runbook from an object (JSON). */
export async function createRunbook(ssm: SSMClient, name: string, content: Record<string, unknown>): Promise<void> {
  await ssm.send(new CreateDocumentCommand({ Name: name, DocumentType: "Automation", DocumentFormat: "JSON", Content: JSON.stringify(content) }));
}

export async function start(ssm: SSMClient, input: StartAutomationExecutionCommandInput): Promise<string> {
  const r = await ssm.send(new StartAutomationExecutionCommand(input));
  return r.AutomationExecutionId as string;
}

export async function getExecution(ssm: SSMClient, id: string): Promise<AutomationExecution> {
  return (await ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: id }))).AutomationExecution as AutomationExecution;
}

/** Waits until the execution's status satisfies `check` (default: final). */
export async function waitFor(
  server: TestServer,
  id: string,
  check: (e: AutomationExecution) => boolean = (e) => FINAL.has(e.AutomationExecutionStatus ?? ""),
  opts: { timeoutMs?: number; what?: string; ssm?: SSMClient } = {},
): Promise<AutomationExecution> {
  const ssm = opts.ssm ?? server.ssm();
  let last: AutomationExecution | undefined;
  return eventually(
    async () => {
      last = await getExecution(ssm, id);
      return check(last) ? last : undefined;
    },
    {
      timeoutMs: opts.timeoutMs ?? 30_000,
      intervalMs: 100,
      what: () =>
        `${opts.what ?? `execution ${id}`}; last: ${last?.AutomationExecutionStatus} ${last?.FailureMessage ?? ""} steps ${JSON.stringify(
          last?.StepExecutions?.map((s) => [s.StepName, s.StepStatus, s.FailureMessage]),
        )}`,
    },
  );
}

/** The step executions of an execution by name (the latest run of each). */
export function stepsByName(e: AutomationExecution) {
  return new Map((e.StepExecutions ?? []).map((s) => [s.StepName as string, s]));
}
