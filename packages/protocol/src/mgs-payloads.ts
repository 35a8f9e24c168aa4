/**
 * JSON bodies of the MGS (ssmmessages) channels: the HTTP calls that open them, the first text
 * frame, and the payloads of the control-channel AgentMessages. Field names are exactly the wire's.
 */

/** Body of `POST /v1/control-channel/<instanceId>` (and of `/v1/data-channel/<sessionId>`). */
export interface CreateChannelInput {
  MessageSchemaVersion: string;
  RequestId: string;
  ClientId?: string;
}

/** Answered as XML with status 201: `<CreateControlChannelResponse><MessageSchemaVersion/><TokenValue/></...>`. */
export interface CreateChannelOutput {
  MessageSchemaVersion: string;
  TokenValue: string;
}

/** The first (text) frame the agent sends on the control-channel websocket. */
export interface OpenControlChannelInput {
  Cookie?: string;
  MessageSchemaVersion: string;
  RequestId: string;
  TokenValue: string;
  AgentVersion: string;
  PlatformType: string;
}

/** The first (text) frame on a data-channel websocket, from the agent (with ClientInstanceId) or the client. */
export interface OpenDataChannelInput {
  MessageSchemaVersion: string;
  RequestId: string;
  TokenValue: string;
  ClientId: string;
  ClientInstanceId?: string;
  ClientVersion?: string;
}

/** agent_job (server → agent). */
export interface AgentJobPayload {
  /** SendCommandPayload or CancelCommandPayload as a JSON string. */
  Content: string;
  /** aws.ssm.<commandId>.<instanceId> */
  JobId: string;
  Topic: string;
  SchemaVersion: number;
}

/** agent_job_ack (agent → server): the agent took (statusCode "200") or refused the job. */
export interface AgentJobAckPayload {
  jobId: string;
  /** The MessageId (UUID) of the agent_job AgentMessage being acknowledged. */
  acknowledgedMessageId: string;
  /** ISO-8601 of the acknowledged message's CreatedDate. */
  createdDate: string;
  statusCode: string;
  errorMessage: string;
}

/** agent_job_reply (agent → server); re-sent until acknowledged. */
export interface AgentJobReplyPayload {
  schemaVersion: number;
  jobId: string;
  /** SendReplyPayload as a JSON string. */
  content: string;
  topic: string;
}

/** agent_job_reply_ack (server → agent). */
export interface AgentJobReplyAckPayload {
  jobId: string;
  /** The MessageId (UUID) of the agent_job_reply AgentMessage being acknowledged. */
  acknowledgedMessageId: string;
}

/** interactive_shell and other task messages (server → agent). */
export interface MGSPayload {
  /** AgentTaskPayload as a JSON string. */
  Content: string;
  TaskId: string;
  Topic: string;
  SchemaVersion: number;
}

export interface AgentTaskPayload {
  DocumentName: string;
  DocumentContent: Record<string, unknown>;
  SessionId: string;
  Parameters: Record<string, unknown>;
  RunAsUser: string;
  SessionOwner: string;
}

/** agent_task_acknowledge (server → agent). */
export interface AgentTaskAcknowledgePayload {
  SchemaVersion: number;
  MessageId: string;
  TaskId: string;
  Topic: string;
}

/** agent_task_complete (agent → server). */
export interface AgentTaskCompletePayload {
  SchemaVersion: number;
  TaskId: string;
  Topic: string;
  FinalTaskStatus: string;
  IsRoutingFailure: boolean;
  AwsAccountId: string;
  InstanceId: string;
  Output: string;
  S3Bucket: string;
  S3UrlSuffix: string;
  CwlGroup: string;
  CwlStream: string;
  RetryNumber: number;
}

/** channel_closed (server → agent or client). */
export interface ChannelClosedPayload {
  MessageType: "channel_closed";
  MessageId: string;
  DestinationId: string;
  SessionId: string;
  SchemaVersion: number;
  CreatedDate: string;
  Output?: string;
}

/** acknowledge (data channel). */
export interface AcknowledgeContent {
  AcknowledgedMessageType: string;
  AcknowledgedMessageId: string;
  AcknowledgedMessageSequenceNumber: number;
  IsSequentialMessage: boolean;
}

/** agent_session_state (data channel). */
export interface AgentSessionStateContent {
  SchemaVersion: number;
  SessionState: "Connected" | "Terminating";
  SessionId: string;
}
