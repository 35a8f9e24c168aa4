/** AgentMessage `MessageType` values (the 32-byte field of the header). */
export const MessageType = {
  // Control channel, server → agent
  AgentJob: "agent_job",
  AgentJobReplyAck: "agent_job_reply_ack",
  InteractiveShell: "interactive_shell",
  AgentTaskAcknowledge: "agent_task_acknowledge",
  ChannelClosed: "channel_closed",
  // Control channel, agent → server
  AgentJobAck: "agent_job_ack",
  AgentJobReply: "agent_job_reply",
  AgentTaskReply: "agent_task_reply",
  AgentTaskComplete: "agent_task_complete",
  AgentTelemetry: "agent_telemetry",
  // Data channel
  OutputStreamData: "output_stream_data",
  InputStreamData: "input_stream_data",
  Acknowledge: "acknowledge",
  AgentSessionState: "agent_session_state",
  StartPublication: "start_publication",
  PausePublication: "pause_publication",
} as const;

export type MessageTypeName = (typeof MessageType)[keyof typeof MessageType];

/** AgentMessage `PayloadType` values. */
export const PayloadType = {
  /** Plain payload (JSON on the control channel; everything except stream data uses 0). */
  None: 0,
  Output: 1,
  Error: 2,
  Size: 3,
  Parameter: 4,
  HandshakeRequest: 5,
  HandshakeResponse: 6,
  HandshakeComplete: 7,
  EncChallengeRequest: 8,
  EncChallengeResponse: 9,
  Flag: 10,
  StdErr: 11,
  ExitCode: 12,
} as const;

/** Values of a `Flag` payload (a 4-byte big-endian integer). */
export const PayloadTypeFlag = {
  DisconnectToPort: 1,
  TerminateSession: 2,
  ConnectToPortError: 3,
} as const;

/** Header flag bits. */
export const MessageFlag = {
  SYN: 1,
  FIN: 2,
} as const;

/** Topics of Run Command jobs (ec2messages `Topic` and agent_job `Topic`). */
export const Topic = {
  SendCommand: "aws.ssm.sendCommand",
  CancelCommand: "aws.ssm.cancelCommand",
} as const;

export type TopicName = (typeof Topic)[keyof typeof Topic];

/** `statusCode` of agent_job_ack when the agent accepted the job. */
export const AGENT_JOB_ACK_SUCCESS = "200";

/** The most bytes of SendReplyPayload JSON the agent puts in one agent_job_reply. */
export const CONTROL_CHANNEL_REPLY_LIMIT = 120_000;

/** The agent caps a plugin's standardOutput / standardError in replies at these many characters. */
export const STDOUT_REPLY_LIMIT = 24_000;
export const STDERR_REPLY_LIMIT = 8_000;
