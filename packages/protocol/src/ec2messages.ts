/**
 * The ec2messages (MDS) polling protocol: AWS JSON 1.1 on `POST /` with
 * `X-Amz-Target: EC2WindowsMessageDeliveryService.<Operation>`, signing name `ec2messages`.
 */

export const EC2MESSAGES_TARGET_PREFIX = "EC2WindowsMessageDeliveryService";

export interface InstanceMessage {
  /** ISO-8601 with milliseconds (the agent requires at least 24 characters). */
  CreatedDate: string;
  Destination: string;
  /** aws.ssm.<commandId>.<instanceId> */
  MessageId: string;
  /** SendCommandPayload / CancelCommandPayload as a JSON string. */
  Payload: string;
  /** Hex sha256 of Payload (not checked by the agent). */
  PayloadDigest: string;
  /** aws.ssm.sendCommand… or aws.ssm.cancelCommand… */
  Topic: string;
}

export interface GetMessagesInput {
  Destination: string;
  MessagesRequestId: string;
  VisibilityTimeoutInSeconds?: number;
  NextToken?: string;
}

export interface GetMessagesOutput {
  Destination: string;
  Messages: InstanceMessage[];
  MessagesRequestId: string;
}

export interface AcknowledgeMessageInput {
  MessageId: string;
}

export interface SendReplyInput {
  MessageId: string;
  ReplyId: string;
  /** SendReplyPayload as a JSON string. */
  Payload: string;
  DeliveryOptions?: unknown;
}

export interface SendReplyOutput {
  MessageId: string;
  ReplyId: string;
  ReplyStatus: string;
  Description?: string;
}

export type FailureType = "InternalHandlerException" | "NoHandlerExists";

export interface FailMessageInput {
  MessageId: string;
  FailureType: FailureType;
}

export interface DeleteMessageInput {
  MessageId: string;
}

/**
 * ISO-8601 with milliseconds, as ec2messages' CreatedDate and agent_job_ack's createdDate carry it:
 * what Date's toISOString gives, written from the UTC fields (V8's toISOString looks up the local
 * time zone through ICU, which loads about 0.6 MiB of ICU's data into an agent that never needs it).
 */
export function isoMillis(epochMs: number): string {
  const d = new Date(epochMs);
  const year = d.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) return d.toISOString(); // ±YYYYYY years, and the RangeError of an invalid date
  const two = (n: number) => String(n).padStart(2, "0");
  return `${String(year).padStart(4, "0")}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, "0")}Z`;
}
