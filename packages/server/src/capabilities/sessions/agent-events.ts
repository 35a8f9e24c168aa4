import { type AgentMessage, type AgentTaskCompletePayload, encodeJsonMessage, jsonPayload, MessageType } from "@openssm/protocol";
import type { Services } from "../../runtime.js";
import { sendToChannel } from "./control-link.js";
import { sessionHub } from "./session-hub.js";
import { findSessionById, setStatus } from "./store.js";

/**
 * agent_task_complete from a node's control channel: the agent finished a session. The agent gets
 * agent_task_acknowledge (which stops its re-sends); the session ends — Failed when the agent could not
 * start it, Terminated otherwise — and a client still attached is told why.
 */
export async function onAgentTaskComplete(services: Services, instanceId: string, msg: AgentMessage): Promise<void> {
  if (msg.messageType !== MessageType.AgentTaskComplete) return;
  const body = jsonPayload<AgentTaskCompletePayload>(msg);
  const ack = { SchemaVersion: 1, MessageId: msg.messageId, TaskId: body.TaskId, Topic: body.Topic };
  sendToChannel(services, instanceId, encodeJsonMessage(MessageType.AgentTaskAcknowledge, ack, { createdDate: services.clock.now() }));
  const row = body.TaskId ? await findSessionById(services.db, body.TaskId) : undefined;
  if (!row || row.target !== instanceId) return;
  const failed = body.FinalTaskStatus === "Failed" || body.FinalTaskStatus === "TimedOut";
  const output = body.Output ? String(body.Output) : "";
  const relay = sessionHub(services).local(row.session_id);
  if (relay && !relay.ending) relay.end("agent", failed ? output : "");
  const status = failed && row.status === "Connecting" ? "Failed" : "Terminated";
  await setStatus(services.db, row.session_id, status, services.clock.now(), { details: output || undefined });
}
