/**
 * Run Command payloads as amazon-ssm-agent reads and writes them (JSON field names exactly as on the
 * wire). The same payloads travel over ec2messages (Message.Payload / SendReply.Payload) and over
 * the MGS control channel (agent_job.Content / agent_job_reply.content).
 */

/** A document's content as the agent runs it: schema 1.x uses runtimeConfig, 2.x mainSteps. */
export interface DocumentContent {
  schemaVersion: string;
  description?: string;
  parameters?: Record<string, unknown>;
  runtimeConfig?: Record<string, PluginConfig>;
  mainSteps?: InstancePluginConfig[];
  [key: string]: unknown;
}

export interface PluginConfig {
  properties?: unknown;
  settings?: unknown;
  description?: string;
  [key: string]: unknown;
}

export interface InstancePluginConfig {
  action: string;
  name: string;
  inputs?: unknown;
  settings?: unknown;
  precondition?: unknown;
  maxAttempts?: number;
  onFailure?: string;
  timeoutSeconds?: number;
  [key: string]: unknown;
}

/** Topic aws.ssm.sendCommand: run a document. */
export interface SendCommandPayload {
  CommandId: string;
  DocumentName: string;
  DocumentContent: DocumentContent;
  /** Parameter values as Run Command passes them (strings, or string lists). */
  Parameters: Record<string, unknown>;
  OutputS3BucketName: string;
  OutputS3KeyPrefix: string;
  CloudWatchLogGroupName?: string;
  /** "true" or "false" */
  CloudWatchOutputEnabled?: string;
}

/** Topic aws.ssm.cancelCommand: stop the document run by the job with this message id. */
export interface CancelCommandPayload {
  /** aws.ssm.<commandId>.<instanceId> of the job to cancel. */
  CancelMessageId: string;
}

/** The agent's document and plugin statuses (contracts.ResultStatus). */
export type ResultStatus =
  | "NotStarted"
  | "InProgress"
  | "Success"
  | "SuccessAndReboot"
  | "PassedAndReboot"
  | "Failed"
  | "Cancelled"
  | "TimedOut"
  | "Skipped"
  | "TestFailure"
  | "TestPass";

export interface AgentInfo {
  lang: string;
  name: string;
  os: string;
  osver: string;
  ver: string;
}

export interface AdditionalInfo {
  agent: AgentInfo;
  dateTime: string;
  runId: string;
  runtimeStatusCounts: Record<string, number>;
  ableToOpenMGSConnection?: boolean;
}

/** One plugin (step) of a document run, keyed by step name in `runtimeStatus`. */
export interface PluginRuntimeStatus {
  status: ResultStatus;
  code: number;
  name: string;
  output: string;
  startDateTime: string;
  endDateTime: string;
  outputS3BucketName: string;
  outputS3KeyPrefix: string;
  stepName: string;
  standardOutput: string;
  standardError: string;
  /**
   * openssm extension for streaming whole output: when present, `standardOutput` is not the (capped)
   * text so far but the piece of the plugin's whole stdout that starts at this offset (in UTF-16 code
   * units, JavaScript string indexes). An agent may then send successive pieces in InProgress replies
   * (offset 0, then the length sent so far, ...) and the server keeps every piece, in any order and
   * repeated, and serves the whole text. AWS's agent leaves it out; the server then keeps the longest
   * text it received. Limits: pieces of at most 100,000 characters per reply.
   */
  standardOutputOffset?: number;
  /** The same for `standardError`. */
  standardErrorOffset?: number;
}

/** What the agent reports about a job: sent several times (InProgress, per plugin, final). */
export interface SendReplyPayload {
  additionalInfo: AdditionalInfo;
  documentStatus: ResultStatus;
  documentTraceOutput: string;
  runtimeStatus: Record<string, PluginRuntimeStatus> | null;
}

/** The message id of a Run Command job: `aws.ssm.<commandId>.<instanceId>`. */
export function jobMessageId(commandId: string, instanceId: string): string {
  return `aws.ssm.${commandId}.${instanceId}`;
}

/** Splits `aws.ssm.<commandId>.<instanceId>`; undefined when the id has another form. */
export function parseJobMessageId(messageId: string): { commandId: string; instanceId: string } | undefined {
  const m = /^aws\.ssm\.([^.]+)\.(.+)$/.exec(messageId);
  return m ? { commandId: m[1], instanceId: m[2] } : undefined;
}
