import { hostname } from "node:os";
import type { Services } from "../runtime.js";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1"]);

/**
 * The host name clients use for this server in URLs the API hands out (StreamUrl,
 * StandardOutputUrl): the configured host, or for a wildcard address the first non-loopback name
 * the TLS certificate carries (the machine's name by default).
 */
export function publicHost(services: Services): string {
  const { host, tlsHostnames } = services.config;
  const wildcard = host === "0.0.0.0" || host === "::" || host === "";
  const name = wildcard ? (tlsHostnames.find((n) => !LOOPBACK.has(n)) ?? hostname()) : host;
  return name.includes(":") ? `[${name}]` : name;
}

/**
 * The addresses the API hands out (StreamUrl, output URLs): the load balancer's when configured
 * (--public-url, --public-tls-url), else this replica's own.
 */
export function publicUrls(services: Services): { http: string; tls?: string } {
  const own = replicaUrls(services);
  const { publicUrl, publicTlsUrl } = services.config;
  if (!publicUrl && !publicTlsUrl) return own;
  return { http: publicUrl ?? own.http, tls: own.tls === undefined ? undefined : (publicTlsUrl ?? own.tls) };
}

/** Whether clients reach every replica through one address (so a replica carries streams to the others). */
export function behindBalancer(services: Services): boolean {
  return Boolean(services.config.publicUrl || services.config.publicTlsUrl);
}

/** Where this replica's own listeners are reached: http://host:port, and https://host:tlsPort when TLS is on. */
export function replicaUrls(services: Services): { http: string; tls?: string } {
  const host = publicHost(services);
  const { port, tlsPort } = services.listening;
  return { http: `http://${host}:${port ?? services.config.port}`, tls: tlsPort !== undefined ? `https://${host}:${tlsPort}` : undefined };
}
