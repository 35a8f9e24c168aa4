import type { CancelCommandPayload, PluginRuntimeStatus, SendReplyPayload } from "@openssm/protocol";
import { parseJobMessageId, Topic } from "@openssm/protocol";
import type { DeliveryHandler, ReplyEvent } from "../../agents/index.js";
import type { Services } from "../../runtime.js";
import { moveInvocation } from "./invocations.js";
import { composeSummary, cutByAgent, SUMMARY_LIMIT, truncateSummary } from "./output-pieces.js";
import { type OutputKey, outputKeyFor, readOutput, sealSummary, storeOutput } from "./output-store.js";
import { advanceCommand, refreshCommandStatus } from "./rollout.js";
import { invocationFromDocumentStatus, isTerminal, pluginFromAgentStatus } from "./statuses.js";
import { commandFacts, knownPastPending, notePastPending } from "./command-facts.js";
import { getCommand, getInvocation } from "./store.js";
import { commandDb, type InvocationRow } from "./tables.js";
import { compiledOnce } from "../../storage/compiled-once.js";

/** Grace after the execution timeout before the server gives up on an agent that stopped reporting. */
export const EXECUTION_GRACE_MS = 60_000;

function parseTime(value: string | undefined): number | null {
  if (!value) return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

/** When the server gives up on an invocation that started at `now`. */
function executionDeadline(cmd: { execution_timeout_seconds: number }, now: number): number {
  return now + cmd.execution_timeout_seconds * 1000 + EXECUTION_GRACE_MS;
}

/** The invocation a sendCommand message is about. */
function invocationKey(messageId: string): { commandId: string; instanceId: string } | undefined {
  return parseJobMessageId(messageId);
}

/**
 * The invocation started on the node (acknowledged, or a first reply): InProgress, with its execution
 * deadline. Returns the invocation as this left it (a hint for the next compare-and-set).
 */
async function markStarted(services: Services, inv: InvocationRow, now: number): Promise<InvocationRow> {
  if (inv.terminal === 1 || inv.acknowledged_at !== null) return inv;
  const { command_id: commandId, instance_id: instanceId } = inv;
  const cmd = await commandFacts(services, commandId);
  if (!cmd) return inv;
  const set = {
    acknowledged_at: now,
    execution_deadline: executionDeadline(cmd, now),
    delivered_at: inv.delivered_at ?? now,
  };
  if (inv.status_details === "Pending" || inv.status_details === "Delayed") {
    if (await moveInvocation(services, commandId, instanceId, "InProgress", now, { from: ["Pending", "Delayed"], set, row: inv })) {
      return { ...inv, ...set, status: "InProgress", status_details: "InProgress" };
    }
  }
  await commandDb(services.db)
    .updateTable("commands_invocations")
    .set(set)
    .where("command_id", "=", commandId)
    .where("instance_id", "=", instanceId)
    .where("acknowledged_at", "is", null)
    .where("terminal", "=", 0)
    .execute();
  return { ...inv, ...set };
}

/**
 * The usual acknowledgement: the invocation is InProgress already (its delivery moved it), so the
 * acknowledgement and execution deadline are one conditional update. False when that did not apply
 * (still Pending or Delayed, acknowledged before, or final): `markStarted` then decides.
 */
async function acknowledgeInProgress(services: Services, commandId: string, instanceId: string, now: number): Promise<boolean> {
  const cmd = await commandFacts(services, commandId);
  if (!cmd) return false;
  const r = await acknowledge(services.db, now, executionDeadline(cmd, now), commandId, instanceId);
  return Number(r.numAffectedRows) === 1;
}

const acknowledge = compiledOnce<[number, number, string, string], never>((db, now, deadline, commandId, instanceId) =>
  commandDb(db)
    .updateTable("commands_invocations")
    .set((eb) => ({
      acknowledged_at: now,
      execution_deadline: deadline,
      delivered_at: eb.fn.coalesce("delivered_at", eb.val(now)),
    }))
    .where("command_id", "=", commandId)
    .where("instance_id", "=", instanceId)
    .where("acknowledged_at", "is", null)
    .where("terminal", "=", 0)
    .where("status_details", "=", "InProgress"),
);

/** A step's report over its row, unless the row is final already. */
const updatePlugin = compiledOnce<[string, string, number, number, number | null, number | null, Buffer | null, string, string, string], never>(
  (db, status, details, terminal, code, start, finish, sealed, commandId, instanceId, name) =>
    commandDb(db)
      .updateTable("commands_plugins")
      .set({
        status,
        status_details: details,
        terminal,
        response_code: code,
        response_start: start,
        response_finish: finish,
        output: "",
        output_sealed: sealed,
      })
      .where("command_id", "=", commandId)
      .where("instance_id", "=", instanceId)
      .where("name", "=", name)
      .where("terminal", "=", 0),
);

/** Stores one plugin's report: its output (always), its status (unless final already). */
async function applyPlugin(services: Services, key: OutputKey, rs: PluginRuntimeStatus, seq: number, keyOf: () => Promise<Buffer | undefined>): Promise<void> {
  const { commandId, instanceId, plugin: name } = key;
  const cut = { stdout_cut: 0, stderr_cut: 0 };
  if (typeof rs.standardOutput === "string") {
    const offset = numberOrUndefined(rs.standardOutputOffset);
    await storeOutput(services, key, "stdout", rs.standardOutput, offset, keyOf);
    if (cutByAgent(rs.standardOutput, offset)) cut.stdout_cut = 1;
  }
  if (typeof rs.standardError === "string") {
    const offset = numberOrUndefined(rs.standardErrorOffset);
    await storeOutput(services, key, "stderr", rs.standardError, offset, keyOf);
    if (cutByAgent(rs.standardError, offset)) cut.stderr_cut = 1;
  }
  const d = commandDb(services.db);
  const p = pluginFromAgentStatus(String(rs.status ?? ""));
  const summary =
    typeof rs.output === "string" && rs.output
      ? truncateSummary(rs.output)
      : composeSummary(await readOutput(services, key, "stdout", SUMMARY_LIMIT), await readOutput(services, key, "stderr", SUMMARY_LIMIT));
  const outputKey = summary ? await keyOf() : undefined;
  const values = {
    status: p.status,
    status_details: p.details,
    terminal: p.terminal ? 1 : 0,
    response_code: p.terminal && Number.isInteger(rs.code) ? rs.code : -1,
    response_start: parseTime(rs.startDateTime),
    response_finish: p.terminal ? parseTime(rs.endDateTime) : null,
    output: "",
    output_sealed: outputKey ? sealSummary(outputKey, commandId, instanceId, name, summary) : null,
  };
  // The step's row is there from SendCommand (or a reply before): update it unless final; only when
  // that changed nothing is it made (a step the document did not list), never over a final one.
  const updated = await updatePlugin(
    services.db,
    values.status,
    values.status_details,
    values.terminal,
    values.response_code,
    values.response_start,
    values.response_finish,
    values.output_sealed,
    commandId,
    instanceId,
    name,
  );
  if (Number(updated.numAffectedRows) === 0) {
    await d
      .insertInto("commands_plugins")
      .values({ command_id: commandId, instance_id: instanceId, name, seq, ...values })
      .onConflict((oc) => oc.columns(["command_id", "instance_id", "name"]).doNothing())
      .execute();
  }
  await markCut(services, key, cut);
}

/**
 * Notes that the agent sent only the start of a stream (its full text would have gone to S3): the
 * step and the invocation then give no StandardOutputUrl / StandardErrorUrl for it. Never undone.
 */
async function markCut(services: Services, key: OutputKey, cut: { stdout_cut: number; stderr_cut: number }): Promise<void> {
  const set = { ...(cut.stdout_cut ? { stdout_cut: 1 } : {}), ...(cut.stderr_cut ? { stderr_cut: 1 } : {}) };
  if (Object.keys(set).length === 0) return;
  const d = commandDb(services.db);
  await d
    .updateTable("commands_plugins")
    .set(set)
    .where("command_id", "=", key.commandId)
    .where("instance_id", "=", key.instanceId)
    .where("name", "=", key.plugin)
    .execute();
  await d.updateTable("commands_invocations").set(set).where("command_id", "=", key.commandId).where("instance_id", "=", key.instanceId).execute();
}

function numberOrUndefined(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** A reply about a sendCommand job: plugin results and output, then the invocation's status. */
async function applyReply(services: Services, ev: ReplyEvent): Promise<void> {
  const key = invocationKey(ev.message.message_id);
  if (!key) return;
  let inv = await getInvocation(services.db, key.commandId, key.instanceId);
  if (!inv) return;
  const payload: SendReplyPayload = ev.payload;
  const plugins = Object.entries(payload.runtimeStatus ?? {});
  // The invocation's output key, read or made once for all of this reply's steps.
  let dataKey: Promise<Buffer | undefined> | undefined;
  const known = inv;
  const keyOf = () => {
    dataKey ??= outputKeyFor(services, key.commandId, key.instanceId, known);
    return dataKey;
  };
  for (const [i, [name, rs]] of plugins.entries()) {
    if (rs && typeof rs === "object") await applyPlugin(services, { ...key, plugin: name }, rs, 1000 + i, keyOf);
  }
  if (inv.terminal === 1) return;
  const now = ev.now;
  const trace =
    typeof payload.documentTraceOutput === "string" && payload.documentTraceOutput ? truncateSummary(payload.documentTraceOutput, SUMMARY_LIMIT) : undefined;
  const details = invocationFromDocumentStatus(payload.documentStatus);
  inv = await markStarted(services, inv, now);
  if (details === "InProgress") {
    if (trace) await setTrace(services, key.commandId, key.instanceId, trace);
    return;
  }
  if (await moveInvocation(services, key.commandId, key.instanceId, details, now, { set: trace ? { trace_output: trace } : {}, row: inv })) {
    // The reply is recorded; the command's rollout and counts follow without holding up the agent's ack,
    // so replies arriving together share one rollout pass.
    void advanceCommand(services, key.commandId);
  }
}

async function setTrace(services: Services, commandId: string, instanceId: string, trace: string): Promise<void> {
  await commandDb(services.db)
    .updateTable("commands_invocations")
    .set({ trace_output: trace })
    .where("command_id", "=", commandId)
    .where("instance_id", "=", instanceId)
    .where("terminal", "=", 0)
    .execute();
}

/** A command still Pending becomes InProgress once something reached a node. */
async function refreshIfPending(services: Services, commandId: string): Promise<void> {
  if (knownPastPending(services, commandId)) return;
  const cmd = await getCommand(services.db, commandId);
  if (cmd?.status === "Pending") await refreshCommandStatus(services, commandId);
  else if (cmd) notePastPending(services, commandId);
}

/** Run Command's side of delivery: aws.ssm.sendCommand jobs. */
export const sendCommandDelivery: DeliveryHandler = {
  topic: Topic.SendCommand,
  async delivered(services, ev) {
    const key = invocationKey(ev.message.message_id);
    if (!key) return;
    const set = { delivered_at: ev.message.first_delivered_at ?? ev.now };
    if (await moveInvocation(services, key.commandId, key.instanceId, "InProgress", ev.now, { from: ["Pending", "Delayed"], set })) {
      await refreshIfPending(services, key.commandId);
    }
  },
  async acknowledged(services, ev) {
    const key = invocationKey(ev.message.message_id);
    if (!key) return;
    if (!(await acknowledgeInProgress(services, key.commandId, key.instanceId, ev.now))) {
      const inv = await getInvocation(services.db, key.commandId, key.instanceId);
      if (inv) await markStarted(services, inv, ev.now);
    }
    await refreshIfPending(services, key.commandId);
  },
  reply: applyReply,
  async failed(services, ev) {
    const key = invocationKey(ev.message.message_id);
    if (!key) return;
    const moved = await moveInvocation(services, key.commandId, key.instanceId, "Failed", ev.now, { set: { trace_output: truncateSummary(ev.reason) } });
    if (moved) await advanceCommand(services, key.commandId);
  },
};

/** The invocation a cancel message is about. */
function cancelledInvocation(payload: string): { commandId: string; instanceId: string } | undefined {
  try {
    const p = JSON.parse(payload) as CancelCommandPayload;
    return typeof p.CancelMessageId === "string" ? parseJobMessageId(p.CancelMessageId) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * aws.ssm.cancelCommand messages: once the agent has handled the cancel, an invocation still open
 * (the agent never had the job, or its own Cancelled reply is still on its way) is Canceled.
 */
export const cancelCommandDelivery: DeliveryHandler = {
  topic: Topic.CancelCommand,
  async reply(services, ev) {
    if (!isTerminal(invocationFromDocumentStatus(ev.payload.documentStatus))) return;
    const key = cancelledInvocation(ev.message.payload);
    if (!key) return;
    if (await moveInvocation(services, key.commandId, key.instanceId, "Canceled", ev.now)) await advanceCommand(services, key.commandId);
  },
};
