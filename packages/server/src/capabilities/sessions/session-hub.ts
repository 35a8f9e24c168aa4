import type { ServerSlot, Services } from "../../runtime.js";
import { wakeups } from "../../cluster/wakeups.js";
import { sendChannelClosed } from "./control-link.js";
import { type EndReason, SessionRelay } from "./relay.js";
import { findSessionById, isActive, type Scope, setStatus } from "./store.js";
import { sessionDb } from "./tables.js";

/** How often a replica checks storage for its relays' sessions ended elsewhere (TerminateSession on another replica). */
const WATCH_INTERVAL_MS = 1_000;

/** This replica's session relays. */
export class SessionHub {
  private relays = new Map<string, SessionRelay>();
  private creating = new Map<string, Promise<SessionRelay | undefined>>();
  private timer: NodeJS.Timeout | undefined;
  private watching = false;
  private stopped = false;

  constructor(readonly services: Services) {}

  start(): void {
    this.timer = setInterval(() => void this.watch(), WATCH_INTERVAL_MS);
    this.timer.unref();
  }

  /** The relay of an active session, created on first use; undefined when the session ended. */
  relayFor(sessionId: string): Promise<SessionRelay | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    const existing = this.relays.get(sessionId);
    if (existing) return Promise.resolve(existing);
    let p = this.creating.get(sessionId);
    if (!p) {
      p = (async () => {
        const row = await findSessionById(this.services.db, sessionId);
        if (!row || !isActive(row.status) || row.status === "Terminating") return undefined;
        const relay = new SessionRelay(
          {
            services: this.services,
            log: this.services.log,
            closeOnAgent: (r) => sendChannelClosed(this.services, r),
            ended: (id) => {
              if (this.relays.get(id) === relay) this.relays.delete(id);
            },
          },
          row,
        );
        this.relays.set(sessionId, relay);
        return relay;
      })().finally(() => this.creating.delete(sessionId));
      this.creating.set(sessionId, p);
    }
    return p;
  }

  local(sessionId: string): SessionRelay | undefined {
    return this.relays.get(sessionId);
  }

  /**
   * Ends a session wherever it is: through this replica's relay when it holds one, otherwise in
   * storage and on the agent's control channel (another replica's relay sees the status and closes).
   */
  async end(scope: Scope, sessionId: string, reason: EndReason): Promise<void> {
    const relay = this.relays.get(sessionId);
    if (relay) {
      relay.end(reason);
      return;
    }
    const row = await findSessionById(this.services.db, sessionId);
    if (!row || row.account_id !== scope.accountId || row.region !== scope.region || !isActive(row.status)) return;
    const now = this.services.clock.now();
    sendChannelClosed(this.services, row);
    await setStatus(this.services.db, sessionId, "Terminated", now);
    // The relay (or the node's channel) may be on another replica: wake it rather than wait for its watch.
    wakeups(this.services).publish("session-ended", sessionId);
  }

  /** Another replica ended the session: close the relay here, or tell the agent when its channel is here. */
  async endedElsewhere(sessionId: string): Promise<void> {
    const relay = this.relays.get(sessionId);
    if (relay) {
      if (!relay.ending) relay.end("terminated");
      return;
    }
    const row = await findSessionById(this.services.db, sessionId);
    if (row) sendChannelClosed(this.services, row);
  }

  /** Closes local relays whose sessions another replica ended. */
  private async watch(): Promise<void> {
    if (this.watching || this.relays.size === 0) return;
    this.watching = true;
    try {
      const ids = [...this.relays.keys()];
      const rows = await sessionDb(this.services.db).selectFrom("sessions").select(["session_id", "status"]).where("session_id", "in", ids).execute();
      for (const r of rows) {
        const relay = this.relays.get(r.session_id);
        if (relay && !relay.ending && (r.status === "Terminated" || r.status === "Failed" || r.status === "Terminating")) relay.end("terminated");
      }
    } catch (err) {
      this.services.log.warn({ err }, "checking the state of relayed sessions failed");
    } finally {
      this.watching = false;
    }
  }

  /** Whether the server is shutting down (new data channels are refused). */
  get isStopped(): boolean {
    return this.stopped;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.relays.values()].map((r) => r.shutdown()));
    this.relays.clear();
  }
}

const SESSION_HUB: ServerSlot<SessionHub> = { name: "sessions.hub", create: (services) => new SessionHub(services) };

/** This server's session relays. */
export function sessionHub(services: Services): SessionHub {
  return services.own(SESSION_HUB);
}
