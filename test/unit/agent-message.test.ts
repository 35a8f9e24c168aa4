import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import {
  AgentMessageError,
  HEADER_LENGTH,
  MessageType,
  PAYLOAD_OFFSET,
  PayloadType,
  decodeAgentMessage,
  encodeAgentMessage,
  encodeJsonMessage,
  jobMessageId,
  jsonPayload,
  parseJobMessageId,
  uuidFromWire,
  uuidToWire,
} from "@openssm/protocol";

const ID = "00112233-4455-6677-8899-aabbccddeeff";

test("the header is 120 bytes with fields at the agent's offsets, big-endian", () => {
  const payload = Buffer.from('{"a":1}');
  const frame = encodeAgentMessage({
    messageType: MessageType.AgentJob,
    schemaVersion: 1,
    createdDate: 1_700_000_000_123,
    sequenceNumber: 7,
    flags: 3,
    messageId: ID,
    payloadType: PayloadType.Output,
    payload,
  });
  assert.equal(HEADER_LENGTH, 116);
  assert.equal(PAYLOAD_OFFSET, 120);
  assert.equal(frame.length, 120 + payload.length);
  assert.equal(frame.readUInt32BE(0), 116);
  assert.equal(frame.subarray(4, 36).toString("utf8"), "agent_job".padEnd(32, " "));
  assert.equal(frame.readUInt32BE(36), 1);
  assert.equal(frame.readBigUInt64BE(40), 1_700_000_000_123n);
  assert.equal(frame.readBigInt64BE(48), 7n);
  assert.equal(frame.readBigUInt64BE(56), 3n);
  assert.equal(frame.subarray(64, 80).toString("hex"), "8899aabbccddeeff0011223344556677");
  assert.deepEqual(frame.subarray(80, 112), createHash("sha256").update(payload).digest());
  assert.equal(frame.readUInt32BE(112), 1);
  assert.equal(frame.readUInt32BE(116), payload.length);
  assert.equal(frame.subarray(120).toString(), '{"a":1}');
});

test("UUIDs travel low half first, and come back as written", () => {
  assert.equal(uuidToWire(ID).toString("hex"), "8899aabbccddeeff0011223344556677");
  assert.equal(uuidFromWire(Buffer.from("8899aabbccddeeff0011223344556677", "hex")), ID);
  assert.throws(() => uuidToWire("not-a-uuid"), AgentMessageError);
});

test("decode reverses encode and checks the digest", () => {
  const frame = encodeJsonMessage(MessageType.AgentJobReply, { jobId: "aws.ssm.c.mi-1", content: "{}" }, { messageId: ID, sequenceNumber: -2 });
  const m = decodeAgentMessage(frame);
  assert.equal(m.messageType, "agent_job_reply");
  assert.equal(m.messageId, ID);
  assert.equal(m.sequenceNumber, -2);
  assert.equal(m.schemaVersion, 1);
  assert.equal(m.payloadType, 0);
  assert.ok(m.createdDate > 0);
  assert.equal(m.digestValid, true);
  assert.deepEqual(jsonPayload(m), { jobId: "aws.ssm.c.mi-1", content: "{}" });

  const tampered = Buffer.from(frame);
  tampered[PAYLOAD_OFFSET] ^= 1;
  assert.equal(decodeAgentMessage(tampered).digestValid, false);
});

test("message types padded with NULs are read like the agent reads them", () => {
  const frame = encodeAgentMessage({ messageType: "acknowledge", payload: "" });
  frame.fill(0, 4 + "acknowledge".length, 36);
  assert.equal(decodeAgentMessage(frame).messageType, "acknowledge");
  assert.equal(decodeAgentMessage(frame).payload.length, 0);
});

test("frames that do not add up are refused with a reason", () => {
  assert.throws(() => decodeAgentMessage(Buffer.alloc(50)), /at least 120 bytes/);
  const frame = encodeAgentMessage({ messageType: "agent_job", payload: "abc" });
  frame.writeUInt32BE(10, 116);
  assert.throws(() => decodeAgentMessage(frame), /PayloadLength 10 exceeds/);
  assert.throws(() => encodeAgentMessage({ messageType: "x".repeat(33) }), AgentMessageError);
  assert.throws(() => jsonPayload(decodeAgentMessage(encodeAgentMessage({ messageType: "agent_job", payload: "not json" }))), AgentMessageError);
});

test("job message ids are aws.ssm.<commandId>.<instanceId>", () => {
  const id = jobMessageId("2b196342-d7d4-436e-8f09-3883a1116ac3", "mi-0123456789abcdef0");
  assert.equal(id, "aws.ssm.2b196342-d7d4-436e-8f09-3883a1116ac3.mi-0123456789abcdef0");
  assert.deepEqual(parseJobMessageId(id), { commandId: "2b196342-d7d4-436e-8f09-3883a1116ac3", instanceId: "mi-0123456789abcdef0" });
  assert.equal(parseJobMessageId("something-else"), undefined);
});
