import type { ResumeSessionRequest, ResumeSessionResponse, StartSessionRequest, StartSessionResponse } from "@aws-sdk/client-ssm";
import type { AgentTaskPayload } from "@openssm/protocol";
import { ApiError } from "../../errors.js";
import { op, type RequestContext } from "../../runtime.js";
import { getNode, nodeArn, nodeTags } from "../nodes/index.js";
import { nodeConnection, sendStartSession } from "./control-link.js";
import { newSessionId } from "./ids.js";
import { runAsUser } from "./preferences.js";
import { newRecordingKey } from "./recording.js";
import { planSession, sessionDocumentArn } from "./session-document.js";
import { findSession, isActive, issueClientToken, sessionArn, setStatus } from "./store.js";
import { streamUrl } from "./stream-url.js";
import { sessionDb } from "./tables.js";

const notConnected = (target: string) => new ApiError("TargetNotConnected", `${target} is not connected.`);

function nodeRef(ctx: RequestContext, target: string) {
  return { arn: nodeArn(ctx, target), tags: () => nodeTags(ctx.services.db, ctx, target) };
}

const SHELL_TYPES = ["Standard_Stream", "InteractiveCommands", "NonInteractiveCommands"];

const startSession = op<StartSessionRequest, StartSessionResponse>({
  service: "ssm",
  name: "StartSession",
  async resources(ctx, input) {
    return [nodeRef(ctx, String(input.Target)), { arn: await sessionDocumentArn(ctx, input.DocumentName) }];
  },
  async handle(ctx, input) {
    const services = ctx.services;
    const target = String(input.Target);
    const now = services.clock.now();
    const plan = await planSession(ctx, input.DocumentName, input.Parameters as Record<string, string[]> | undefined);
    const node = await getNode(services.db, ctx, target, now);
    const home = node && !node.deregistered ? await nodeConnection(services, target) : undefined;
    if (!home) throw notConnected(target);
    const runAs = SHELL_TYPES.includes(plan.sessionType) ? runAsUser(plan.prefs, ctx.principal.tags) : undefined;

    // An assumed role's session (Role/SessionName) names sessions by its session name, as AWS does.
    const sessionId = newSessionId(ctx.principal.name.slice(ctx.principal.name.lastIndexOf("/") + 1));
    const prefs = plan.prefs;
    await sessionDb(services.db)
      .insertInto("sessions")
      .values({
        session_id: sessionId,
        account_id: ctx.accountId,
        region: ctx.region,
        target,
        owner: ctx.principal.arn,
        document_name: plan.documentName,
        session_type: plan.sessionType,
        status: "Connecting",
        reason: input.Reason ?? null,
        details: null,
        start_date: now,
        end_date: null,
        last_activity_at: now,
        idle_timeout_ms: prefs.idleSessionTimeoutMinutes * 60_000,
        max_end_at: prefs.maxSessionDurationMinutes ? now + prefs.maxSessionDurationMinutes * 60_000 : null,
        max_session_duration: prefs.maxSessionDurationMinutes ? String(prefs.maxSessionDurationMinutes) : null,
        client_token_hash: null,
        client_token_expires_at: null,
        agent_token_hash: null,
        agent_token_expires_at: null,
        parameters: JSON.stringify(plan.parameters),
        run_as: runAs ?? null,
        request_id: ctx.requestId,
        recording_key: newRecordingKey(services.masterKey, sessionId),
        record_input: plan.sessionType === "Port" ? 0 : 1,
        recorded: plan.sessionType === "Port" && !services.config.recordPortSessions ? 0 : 1,
        retention_days: prefs.recordingRetentionDays,
        retain_until: null,
        recording_purged: 0,
        output_url: null,
      })
      .execute();
    const token = await issueClientToken(services.db, sessionId, now);

    const task: AgentTaskPayload = {
      DocumentName: plan.documentName,
      DocumentContent: plan.content,
      SessionId: sessionId,
      Parameters: plan.parameters,
      RunAsUser: runAs ?? "",
      SessionOwner: ctx.principal.arn,
    };
    if (!(await sendStartSession(services, target, task, home, ctx.accountId, ctx.region))) {
      await setStatus(services.db, sessionId, "Failed", now, { details: "The node's control channel closed before the session could start." });
      throw notConnected(target);
    }
    return { SessionId: sessionId, TokenValue: token, StreamUrl: streamUrl(services, sessionId, home) };
  },
});

const resumeSession = op<ResumeSessionRequest, ResumeSessionResponse>({
  service: "ssm",
  name: "ResumeSession",
  resources: (ctx, input) => [{ arn: sessionArn(ctx, String(input.SessionId)) }],
  async handle(ctx, input) {
    const sessionId = String(input.SessionId);
    const row = await findSession(ctx.services.db, ctx, sessionId);
    if (!row) throw new ApiError("DoesNotExistException", `Session ${sessionId} does not exist in ${ctx.region}; check the SessionId.`);
    // An ended session has nothing to resume: no token, which the session-manager-plugin reads as "timed out".
    if (!isActive(row.status) || row.status === "Terminating") return { SessionId: sessionId };
    const token = await issueClientToken(ctx.services.db, sessionId, ctx.services.clock.now());
    const home = await nodeConnection(ctx.services, row.target);
    return { SessionId: sessionId, TokenValue: token, StreamUrl: streamUrl(ctx.services, sessionId, home) };
  },
});

export const startOperations = [startSession, resumeSession];
