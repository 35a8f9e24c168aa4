import type { ResultStatus, SendCommandPayload } from "@openssm/protocol";
import type { ProcessRef } from "../exec/step-process.js";
import type { StreamProgress } from "../exec/output-stream.js";

/** The state of one step of a command, persisted while the command runs. */
export interface StepRecord {
  id: string;
  action: string;
  /** "" before the step started */
  status: ResultStatus | "";
  code: number;
  /** The plugin's `output` (or its error) once it finished. */
  output: string;
  startDateTime: string;
  endDateTime: string;
  /** The shell process of a running aws:runShellScript step. */
  process?: ProcessRef & { dir: string };
  stdout?: StreamProgress;
  stderr?: StreamProgress;
  /** Heads of the output once the step finished (what the final reply shows). */
  standardOutput?: string;
  standardError?: string;
}

/** A command the agent received: persisted from before it is acknowledged until it is forgotten. */
export interface CommandRecord {
  commandId: string;
  /** aws.ssm.<commandId>.<instanceId> */
  messageId: string;
  documentName: string;
  payload: SendCommandPayload;
  receivedAt: number;
  state: "running" | "done";
  cancelRequested?: boolean;
  /** How often a step asked for a reboot (194 / 3010) during this command. */
  reboots?: number;
  steps: StepRecord[];
  documentStatus?: ResultStatus;
  finishedAt?: number;
}

/**
 * What is kept of a finished command: enough to refuse it if it comes again (never run twice),
 * not its document or output (its replies carry those until the server took them).
 */
export function compactRecord(r: CommandRecord): CommandRecord {
  return {
    commandId: r.commandId,
    messageId: r.messageId,
    documentName: r.documentName,
    payload: { CommandId: r.commandId, DocumentName: r.documentName } as SendCommandPayload,
    receivedAt: r.receivedAt,
    state: r.state,
    steps: r.steps.map((s) => ({
      id: s.id,
      action: s.action,
      status: s.status,
      code: s.code,
      output: "",
      startDateTime: s.startDateTime,
      endDateTime: s.endDateTime,
    })),
    documentStatus: r.documentStatus,
    finishedAt: r.finishedAt,
  };
}
