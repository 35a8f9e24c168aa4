import type { Capability, ServerSlot, Services } from "../../runtime.js";
import type { ScheduledJob } from "../../scheduler/scheduler.js";
import { onControlMessage, onNodeDeregistered, registerDeliveryHandler } from "../../agents/index.js";
import { remoteStartDelivery } from "./control-link.js";
import { MessageType } from "@openssm/protocol";
import { onAgentTaskComplete } from "./agent-events.js";
import { registerDataChannel } from "./data-channel.js";
import { describeOperations } from "./ops-describe.js";
import { startOperations } from "./ops-start.js";
import { purgeExpiredRecordings } from "./recording.js";
import { registerRecordingRoute } from "./recording-route.js";
import { sessionHub } from "./session-hub.js";
import { expiredSessions } from "./store.js";
import { ACTIVE_STATUSES, sessionDb, sessionMigrations } from "./tables.js";
import { inScope } from "../../storage/scope.js";
import { wakeups } from "../../cluster/wakeups.js";

export { toAsciicast, transcript } from "./asciicast.js";
export { readRecording, type RecordedEvent } from "./recording.js";
export { findSessionById } from "./store.js";
export { sessionMigrations, type SessionRow } from "./tables.js";

/** Ends sessions past their idle timeout or maximum duration; deletes recordings past their retention. */
function timeoutJob(services: Services): ScheduledJob {
  return {
    name: "sessions-timeouts",
    async run(now) {
      const hub = sessionHub(services);
      for (const { row, why } of await expiredSessions(services.db, now)) {
        await hub.end({ accountId: row.account_id, region: row.region }, row.session_id, why);
      }
      await purgeExpiredRecordings(services.db, now);
    },
  };
}

/** Ends the sessions of a node that was deregistered. */
function endSessionsOfNode(services: Services, scope: { accountId: string; region: string }, instanceId: string): void {
  void (async () => {
    const rows = await sessionDb(services.db)
      .selectFrom("sessions")
      .select("session_id")
      .where(inScope(scope))
      .where("target", "=", instanceId)
      .where("status", "in", [...ACTIVE_STATUSES])
      .execute();
    for (const r of rows) await sessionHub(services).end(scope, r.session_id, "deregistered");
  })().catch((err) => services.log.warn({ err, instanceId }, "could not end the sessions of a deregistered node"));
}

/** What start() subscribed to in this server, undone at stop. */
const SUBSCRIPTIONS: ServerSlot<(() => void)[]> = { name: "sessions.subscriptions", create: () => [] };

/**
 * Session Manager: StartSession / ResumeSession / TerminateSession / DescribeSessions /
 * GetConnectionStatus, the data-channel relay between client and agent, idle and maximum-duration
 * enforcement, and encrypted recordings of every session.
 */
export const sessionsCapability: Capability = {
  name: "sessions",
  migrations: sessionMigrations,
  operations: [...startOperations, ...describeOperations],
  start(services) {
    registerDeliveryHandler(services, remoteStartDelivery);
    services.scheduler.register(timeoutJob(services));
    sessionHub(services).start();
    onControlMessage(services, MessageType.AgentTaskComplete, (s, channel, msg) => onAgentTaskComplete(s, channel.instanceId, msg));
    services.own(SUBSCRIPTIONS).push(
      onNodeDeregistered(services, (scope, id) => endSessionsOfNode(services, scope, id)),
      wakeups(services).on("session-ended", (id) => {
        sessionHub(services)
          .endedElsewhere(id)
          .catch((err) => services.log.warn({ err, sessionId: id }, "could not end a session ended on another replica"));
      }),
    );
  },
  http(app, deps) {
    registerDataChannel(app, deps);
    registerRecordingRoute(app, deps);
  },
  async stop(services) {
    for (const unsubscribe of services.own(SUBSCRIPTIONS).splice(0)) unsubscribe();
    await sessionHub(services).stop();
  },
};
