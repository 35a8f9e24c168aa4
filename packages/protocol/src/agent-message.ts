import { createHash, randomUUID } from "node:crypto";
import { PayloadType } from "./message-types.js";

/**
 * The binary frame of the agent's MGS channels (control and data), byte-identical in
 * amazon-ssm-agent and session-manager-plugin. Integers are big-endian:
 *
 * | offset | len | field                                                       |
 * |--------|-----|-------------------------------------------------------------|
 * | 0      | 4   | HeaderLength (116: everything up to and without PayloadLength) |
 * | 4      | 32  | MessageType, UTF-8, right-padded with spaces               |
 * | 36     | 4   | SchemaVersion                                               |
 * | 40     | 8   | CreatedDate, epoch milliseconds                             |
 * | 48     | 8   | SequenceNumber (signed)                                     |
 * | 56     | 8   | Flags (bit 0 SYN, bit 1 FIN)                                |
 * | 64     | 16  | MessageId: UUID, least-significant 8 bytes first, then most |
 * | 80     | 32  | PayloadDigest: sha256(payload)                              |
 * | 112    | 4   | PayloadType                                                 |
 * | 116    | 4   | PayloadLength                                               |
 * | 120    | n   | Payload                                                     |
 */
export const HEADER_LENGTH = 116;
/** Bytes before the payload: the header plus the PayloadLength field. */
export const PAYLOAD_OFFSET = HEADER_LENGTH + 4;

const OFFSET = {
  headerLength: 0,
  messageType: 4,
  schemaVersion: 36,
  createdDate: 40,
  sequenceNumber: 48,
  flags: 56,
  messageId: 64,
  payloadDigest: 80,
  payloadType: 112,
  payloadLength: 116,
} as const;

const MESSAGE_TYPE_LENGTH = 32;

export interface AgentMessage {
  messageType: string;
  schemaVersion: number;
  /** Epoch milliseconds; the agent refuses 0. */
  createdDate: number;
  sequenceNumber: number;
  flags: number;
  /** A UUID in its usual text form. */
  messageId: string;
  payloadType: number;
  payload: Buffer;
}

export interface DecodedAgentMessage extends AgentMessage {
  headerLength: number;
  payloadDigest: Buffer;
  /** Whether PayloadDigest is the sha256 of the payload (the agent does not check; the plugin does). */
  digestValid: boolean;
}

export class AgentMessageError extends Error {}

/** The 16 bytes of a UUID as the header carries them: the low half first, then the high half. */
export function uuidToWire(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new AgentMessageError(`MessageId must be a UUID, got '${uuid}'`);
  const bytes = Buffer.from(hex, "hex");
  return Buffer.concat([bytes.subarray(8, 16), bytes.subarray(0, 8)]);
}

/** Reads a UUID from its 16 wire bytes (low half first). */
export function uuidFromWire(wire: Buffer): string {
  if (wire.length !== 16) throw new AgentMessageError(`a wire UUID has 16 bytes, got ${wire.length}`);
  const hex = Buffer.concat([wire.subarray(8, 16), wire.subarray(0, 8)]).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function sha256(data: Buffer): Buffer {
  return createHash("sha256").update(data).digest();
}

/** What encodeAgentMessage takes: a message type, and anything else it should not default. */
export type AgentMessageInput = Partial<Omit<AgentMessage, "payload">> & { messageType: string; payload?: Buffer | string };

/** Serializes a message. Defaults: schema version 1, now, sequence 0, no flags, a random id, payload type 0. */
export function encodeAgentMessage(msg: AgentMessageInput): Buffer {
  const payload = typeof msg.payload === "string" ? Buffer.from(msg.payload, "utf8") : (msg.payload ?? Buffer.alloc(0));
  const type = Buffer.from(msg.messageType, "utf8");
  if (type.length === 0 || type.length > MESSAGE_TYPE_LENGTH) {
    throw new AgentMessageError(`MessageType must have 1 to ${MESSAGE_TYPE_LENGTH} bytes, got '${msg.messageType}'`);
  }
  const createdDate = msg.createdDate ?? Date.now();
  if (!Number.isSafeInteger(createdDate) || createdDate <= 0) throw new AgentMessageError("CreatedDate must be a positive epoch-milliseconds integer");
  const out = Buffer.alloc(PAYLOAD_OFFSET + payload.length);
  out.writeUInt32BE(HEADER_LENGTH, OFFSET.headerLength);
  out.fill(0x20, OFFSET.messageType, OFFSET.messageType + MESSAGE_TYPE_LENGTH);
  type.copy(out, OFFSET.messageType);
  out.writeUInt32BE(msg.schemaVersion ?? 1, OFFSET.schemaVersion);
  out.writeBigUInt64BE(BigInt(createdDate), OFFSET.createdDate);
  out.writeBigInt64BE(BigInt(msg.sequenceNumber ?? 0), OFFSET.sequenceNumber);
  out.writeBigUInt64BE(BigInt(msg.flags ?? 0), OFFSET.flags);
  uuidToWire(msg.messageId ?? randomUUID()).copy(out, OFFSET.messageId);
  sha256(payload).copy(out, OFFSET.payloadDigest);
  out.writeUInt32BE(msg.payloadType ?? PayloadType.None, OFFSET.payloadType);
  out.writeUInt32BE(payload.length, OFFSET.payloadLength);
  payload.copy(out, PAYLOAD_OFFSET);
  return out;
}

/** Parses a frame; throws AgentMessageError when it is too short or its lengths do not add up. */
export function decodeAgentMessage(frame: Buffer | ArrayBuffer | Buffer[]): DecodedAgentMessage {
  const buf = Array.isArray(frame) ? Buffer.concat(frame) : Buffer.isBuffer(frame) ? frame : Buffer.from(frame);
  if (buf.length < PAYLOAD_OFFSET) throw new AgentMessageError(`an AgentMessage has at least ${PAYLOAD_OFFSET} bytes, got ${buf.length}`);
  const headerLength = buf.readUInt32BE(OFFSET.headerLength);
  if (headerLength < OFFSET.payloadLength || headerLength + 4 > buf.length) {
    throw new AgentMessageError(`HeaderLength ${headerLength} does not fit a frame of ${buf.length} bytes`);
  }
  const payloadLength = buf.readUInt32BE(OFFSET.payloadLength);
  const start = headerLength + 4;
  if (start + payloadLength > buf.length) {
    throw new AgentMessageError(`PayloadLength ${payloadLength} exceeds the ${buf.length - start} bytes that follow the header`);
  }
  const payload = Buffer.from(buf.subarray(start, start + payloadLength));
  const messageType = buf
    .subarray(OFFSET.messageType, OFFSET.messageType + MESSAGE_TYPE_LENGTH)
    .toString("utf8")
    .replace(/^[\0\s]+|[\0\s]+$/g, "");
  const payloadDigest = Buffer.from(buf.subarray(OFFSET.payloadDigest, OFFSET.payloadDigest + 32));
  return {
    headerLength,
    messageType,
    schemaVersion: buf.readUInt32BE(OFFSET.schemaVersion),
    createdDate: Number(buf.readBigUInt64BE(OFFSET.createdDate)),
    sequenceNumber: Number(buf.readBigInt64BE(OFFSET.sequenceNumber)),
    flags: Number(buf.readBigUInt64BE(OFFSET.flags)),
    messageId: uuidFromWire(buf.subarray(OFFSET.messageId, OFFSET.messageId + 16)),
    payloadDigest,
    digestValid: payloadDigest.equals(sha256(payload)),
    payloadType: buf.readUInt32BE(OFFSET.payloadType),
    payload,
  };
}

/** A control-channel message whose payload is JSON (agent_job, agent_job_ack, agent_job_reply, ...). */
export function encodeJsonMessage(messageType: string, body: unknown, opts: Partial<Omit<AgentMessage, "messageType" | "payload">> = {}): Buffer {
  return encodeAgentMessage({ ...opts, messageType, payload: Buffer.from(JSON.stringify(body), "utf8") });
}

/** Parses a message's JSON payload; throws AgentMessageError when it is not JSON. */
export function jsonPayload<T>(msg: AgentMessage): T {
  try {
    return JSON.parse(msg.payload.toString("utf8")) as T;
  } catch {
    throw new AgentMessageError(`the payload of ${msg.messageType} ${msg.messageId} is not JSON`);
  }
}
