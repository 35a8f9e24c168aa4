/**
 * Ping status, derived from the last contact. The agent reports UpdateInstanceInformation every
 * 5 minutes (Ssm.HealthFrequencyMinutes) and polls or holds a control channel in between, so a node
 * is Online when it was heard from within one health interval plus a minute of grace, and
 * ConnectionLost after that. Deregistered nodes are Inactive (DescribeInstanceInformation omits them,
 * as AWS does).
 */
export const HEALTH_INTERVAL_MS = 5 * 60 * 1000;
export const PING_GRACE_MS = 60 * 1000;
export const ONLINE_WINDOW_MS = HEALTH_INTERVAL_MS + PING_GRACE_MS;

export type PingStatus = "Online" | "ConnectionLost" | "Inactive";

export function pingStatus(lastPingAt: number | null | undefined, deregistered: boolean, now: number): PingStatus {
  if (deregistered) return "Inactive";
  if (lastPingAt !== null && lastPingAt !== undefined && lastPingAt >= now - ONLINE_WINDOW_MS) return "Online";
  return "ConnectionLost";
}
