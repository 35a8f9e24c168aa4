import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { ServerSlot, Services } from "../runtime.js";

/**
 * Requests an API worker process passes on to the main process arrive from 127.0.0.1; these headers
 * carry the caller's own address (audit trail, aws:SourceIp). The main process believes them only
 * with the secret it gave its workers, so a caller cannot claim another address.
 */
export const FORWARDED_FOR = "x-openssm-forwarded-for";
export const FORWARD_TOKEN = "x-openssm-forward-token";

/** The token this server's workers vouch with (none: this server has no workers, so nobody may vouch). */
const FORWARD_TRUST: ServerSlot<{ token?: Buffer }> = { name: "http.forward-trust", create: () => ({}) };

/** The main process: accept forwarded addresses signed with this token (its workers have it). */
export function trustForwardToken(services: Services, token: string): void {
  services.own(FORWARD_TRUST).token = Buffer.from(token, "utf8");
}

/** The caller's address: the socket's peer, or the address one of this server's workers vouched for. */
export function clientAddress(services: Services, req: IncomingMessage): string {
  const remote = req.socket.remoteAddress ?? "";
  const trusted = services.own(FORWARD_TRUST).token;
  if (!trusted) return remote;
  const token = req.headers[FORWARD_TOKEN];
  const forwardedFor = req.headers[FORWARDED_FOR];
  if (typeof token !== "string" || typeof forwardedFor !== "string") return remote;
  const given = Buffer.from(token, "utf8");
  return given.length === trusted.length && timingSafeEqual(given, trusted) ? forwardedFor : remote;
}
