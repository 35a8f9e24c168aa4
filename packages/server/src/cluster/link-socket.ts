import WebSocket from "ws";
import { caCertificatePem } from "../agents/tls/certificate-authority.js";
import type { ChannelHome } from "../agents/replicas.js";
import type { ServerSlot, Services } from "../runtime.js";
import { signLink } from "./link-auth.js";

/** The CA certificate replicas' TLS listeners are issued by (read once per server). */
const CA: ServerSlot<{ pem?: Promise<string | undefined> }> = { name: "cluster.link-ca", create: () => ({}) };

const MAX_FRAME = 4 * 1024 * 1024;

/**
 * Opens a websocket to another replica, signed with the cluster's link key: over its TLS listener
 * when it has one (trusting the installation's CA, or the system's with the operator's certificate),
 * else over its plain listener. `path` carries its query.
 */
export async function openLink(services: Services, from: string, to: ChannelHome, path: string): Promise<WebSocket> {
  const base = to.tlsUrl ? to.tlsUrl.replace(/^https:/, "wss:") : to.httpUrl.replace(/^http:/, "ws:");
  let ca: string | undefined;
  if (to.tlsUrl && !services.config.tlsCertFile) {
    const slot = services.own(CA);
    slot.pem ??= caCertificatePem(services.db);
    ca = await slot.pem;
  }
  return new WebSocket(`${base}${path}`, {
    headers: signLink(services, from, path),
    ca: ca ? [ca] : undefined,
    perMessageDeflate: false,
    handshakeTimeout: 10_000,
    maxPayload: MAX_FRAME,
  });
}
