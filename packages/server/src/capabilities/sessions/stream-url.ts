import { hostname } from "node:os";
import type { ChannelHome } from "../../agents/index.js";
import { behindBalancer, publicUrls } from "../../http/public-urls.js";
import type { Services } from "../../runtime.js";

const CELL = Buffer.from(`openssm:${hostname()}`).toString("base64url");

/**
 * The data-channel URL of a session: on the TLS listener (wss://, what AWS's agent requires and the
 * plugin expects), or on the plain listener when the server runs without TLS (our client and AWS's
 * plugin accept ws:// too). The relay runs where the node's control channel is (its agent opens the
 * data channel there), so a session started through another replica is pointed at that one; behind
 * a load balancer (--public-url), at the balancer: any replica carries the stream to the relay.
 */
export function streamUrl(services: Services, sessionId: string, home?: ChannelHome): string {
  const urls = home && !behindBalancer(services) ? { http: home.httpUrl, tls: home.tlsUrl ?? undefined } : publicUrls(services);
  const base = urls.tls ? urls.tls.replace(/^https:/, "wss:") : urls.http.replace(/^http:/, "ws:");
  return `${base}/v1/data-channel/${encodeURIComponent(sessionId)}?role=publish_subscribe&cell-number=${CELL}`;
}
