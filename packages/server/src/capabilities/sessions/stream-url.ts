import { hostname } from "node:os";
import type { Services } from "../../runtime.js";

const CELL = Buffer.from(`openssm:${hostname()}`).toString("base64url");

function urlHost(services: Services): string {
  const { host, tlsHostnames } = services.config;
  const wildcard = host === "0.0.0.0" || host === "::" || host === "";
  const name = wildcard ? (tlsHostnames[0] ?? "localhost") : host;
  return name.includes(":") ? `[${name}]` : name;
}

/**
 * The data-channel URL of a session: on the TLS listener (wss://, what AWS's agent requires and the
 * plugin expects), or on the plain listener when the server runs without TLS (our client and AWS's
 * plugin accept ws:// too).
 */
export function streamUrl(services: Services, sessionId: string): string {
  const { port, tlsPort } = services.listening;
  const base = tlsPort !== undefined ? `wss://${urlHost(services)}:${tlsPort}` : `ws://${urlHost(services)}:${port ?? services.config.port}`;
  return `${base}/v1/data-channel/${encodeURIComponent(sessionId)}?role=publish_subscribe&cell-number=${CELL}`;
}
