import type { AnyDb } from "../../storage/database.js";
import { hashToken, newToken, TOKEN_LIFETIME_MS, tokenMatches } from "./ids.js";
import { ACTIVE_STATUSES, type SessionRow, sessionDb } from "./tables.js";
import { inScope, type Scope } from "../../storage/scope.js";

export type { Scope } from "../../storage/scope.js";

export type SessionStatus = "Connecting" | "Connected" | "Disconnected" | "Terminating" | "Terminated" | "Failed";

export const sessionArn = (scope: Scope, sessionId: string) => `arn:aws:ssm:${scope.region}:${scope.accountId}:session/${sessionId}`;

export async function findSession(db: AnyDb, scope: Scope, sessionId: string): Promise<SessionRow | undefined> {
  return sessionDb(db).selectFrom("sessions").selectAll().where("session_id", "=", sessionId).where(inScope(scope)).executeTakeFirst();
}

/** By id alone (ids are unique): for the data channel, where the caller's scope is not known yet. */
export async function findSessionById(db: AnyDb, sessionId: string): Promise<SessionRow | undefined> {
  return sessionDb(db).selectFrom("sessions").selectAll().where("session_id", "=", sessionId).executeTakeFirst();
}

export const isActive = (status: string) => (ACTIVE_STATUSES as readonly string[]).includes(status);

/** Issues a new single-use client token (StartSession, ResumeSession). */
export async function issueClientToken(db: AnyDb, sessionId: string, now: number): Promise<string> {
  const token = newToken();
  await sessionDb(db)
    .updateTable("sessions")
    .set({ client_token_hash: hashToken(token), client_token_expires_at: now + TOKEN_LIFETIME_MS })
    .where("session_id", "=", sessionId)
    .execute();
  return token;
}

/** Issues a new single-use agent token (CreateDataChannel). */
export async function issueAgentToken(db: AnyDb, sessionId: string, now: number): Promise<string> {
  const token = newToken();
  await sessionDb(db)
    .updateTable("sessions")
    .set({ agent_token_hash: hashToken(token), agent_token_expires_at: now + TOKEN_LIFETIME_MS })
    .where("session_id", "=", sessionId)
    .execute();
  return token;
}

/**
 * Uses a token once: true when it matches the stored hash, has not expired, and this call is the one
 * that cleared it (a concurrent second use of the same token loses the race).
 */
export async function consumeToken(db: AnyDb, row: SessionRow, side: "client" | "agent", token: string, now: number): Promise<boolean> {
  const hash = side === "client" ? row.client_token_hash : row.agent_token_hash;
  const expires = side === "client" ? row.client_token_expires_at : row.agent_token_expires_at;
  if (!tokenMatches(token, hash) || expires === null || expires < now) return false;
  const d = sessionDb(db);
  const r =
    side === "client"
      ? await d
          .updateTable("sessions")
          .set({ client_token_hash: null, client_token_expires_at: null })
          .where("session_id", "=", row.session_id)
          .where("client_token_hash", "=", hash)
          .executeTakeFirst()
      : await d
          .updateTable("sessions")
          .set({ agent_token_hash: null, agent_token_expires_at: null })
          .where("session_id", "=", row.session_id)
          .where("agent_token_hash", "=", hash)
          .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Moves an active session to a new status. Terminal statuses are sticky: a Terminated or Failed
 * session never changes again. Returns whether the row changed.
 */
export async function setStatus(db: AnyDb, sessionId: string, status: SessionStatus, now: number, extra: { details?: string } = {}): Promise<boolean> {
  const d = sessionDb(db);
  const ending = status === "Terminated" || status === "Failed";
  let q = d
    .updateTable("sessions")
    .set({
      status,
      // The client's token stays usable until it expires: a client arriving just after the end still
      // joins to see the last output. Nothing else can be opened with it.
      ...(ending ? { end_date: now, agent_token_hash: null } : {}),
      ...(extra.details ? { details: extra.details.slice(0, 1024) } : {}),
    })
    .where("session_id", "=", sessionId)
    .where("status", "in", [...ACTIVE_STATUSES]);
  if (status === "Connected" || status === "Disconnected") q = q.where("status", "!=", "Terminating");
  const r = await q.executeTakeFirst();
  const changed = Number(r.numUpdatedRows) === 1;
  if (changed && ending) {
    // Retention counts from the end of the session.
    const row = await d.selectFrom("sessions").select(["retention_days"]).where("session_id", "=", sessionId).executeTakeFirst();
    if (row && row.retention_days > 0) {
      await d
        .updateTable("sessions")
        .set({ retain_until: now + row.retention_days * 86_400_000 })
        .where("session_id", "=", sessionId)
        .execute();
    }
  }
  return changed;
}

export async function touchActivity(db: AnyDb, sessionId: string, at: number): Promise<void> {
  await sessionDb(db).updateTable("sessions").set({ last_activity_at: at }).where("session_id", "=", sessionId).where("last_activity_at", "<", at).execute();
}

/** Active sessions whose idle timeout or maximum duration has passed. */
export async function expiredSessions(db: AnyDb, now: number): Promise<{ row: SessionRow; why: "idle" | "duration" }[]> {
  const rows = await sessionDb(db)
    .selectFrom("sessions")
    .selectAll()
    .where("status", "in", [...ACTIVE_STATUSES])
    .execute();
  const out: { row: SessionRow; why: "idle" | "duration" }[] = [];
  for (const row of rows) {
    if (row.max_end_at !== null && row.max_end_at <= now) out.push({ row, why: "duration" });
    else if (row.last_activity_at + row.idle_timeout_ms <= now) out.push({ row, why: "idle" });
  }
  return out;
}
