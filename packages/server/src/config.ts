import { availableParallelism, homedir, hostname } from "node:os";
import { join, resolve } from "node:path";
import { checkRegionNames } from "./regions.js";

/** Server configuration: flags, then environment (OPENSSM_*), then defaults that work on a fresh machine. */
export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  /** `sqlite:<path>` (default, in the data dir) or `postgres://...` */
  databaseUrl: string;
  masterKey?: string;
  adminAccessKeyId?: string;
  adminSecretAccessKey?: string;
  /** Lets tests move time through POST /_openssm/clock. Never enable in production. */
  testClock: boolean;
  webhookUrls: string[];
  logLevel: string;
  /** Scheduler tick period in milliseconds. */
  schedulerIntervalMs: number;
  /** Seconds an authenticated access key stays cached in memory. */
  credentialCacheSeconds: number;
  /** Port of the TLS listener (agents' MGS channels need wss://); 0 picks a free one, null: no TLS listener. */
  tlsPort: number | null;
  /** Host names and IP addresses the built-in CA's server certificate names. */
  tlsHostnames: string[];
  /** The operator's own certificate (PEM, may hold the chain) and key, instead of the built-in CA. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** How long ec2messages GetMessages holds a poll open before answering an empty list. */
  agentPollSeconds: number;
  /**
   * Record port-forwarding sessions byte for byte too. Off by default: AWS logs shell and command
   * sessions, not what is forwarded through a port.
   */
  recordPortSessions: boolean;
  /**
   * Extra processes that answer read-only API calls on the public port (0: the server is one
   * process). Everything else they pass to the main process; see workers/README.md.
   */
  apiWorkers: number;
  /**
   * The regions requests may be signed for (--regions / OPENSSM_REGIONS); undefined: AWS's region
   * names (regions.ts). Any other region is refused, so that a typo cannot open an empty namespace.
   */
  regions?: string[];
  /** The id of the default account created at first start (--account-id / OPENSSM_ACCOUNT_ID, 12 digits); random if unset. */
  accountId?: string;
  /**
   * The one address clients and agents use for all replicas (a load balancer's), http(s)://host:port,
   * and the balancer's address for the TLS listener: the API's StreamUrl and output URLs name them.
   * Unset: this replica's own addresses (a session's StreamUrl names the replica holding the node).
   */
  publicUrl?: string;
  publicTlsUrl?: string;
}

export type ConfigFlags = Partial<Record<keyof ServerConfig, string | number | boolean | string[] | undefined>>;

export function resolveConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const str = (flag: unknown, name: string): string | undefined => (flag !== undefined && flag !== null && flag !== "" ? String(flag) : env[name] || undefined);
  const dataDir = resolve(str(flags.dataDir, "OPENSSM_DATA_DIR") ?? join(process.cwd(), ".openssm"));
  const webhooks = flags.webhookUrls ?? env.OPENSSM_WEBHOOK_URLS?.split(",").filter(Boolean) ?? [];
  return {
    host: str(flags.host, "OPENSSM_HOST") ?? "127.0.0.1",
    port: Number(str(flags.port, "OPENSSM_PORT") ?? 4510),
    dataDir,
    databaseUrl: str(flags.databaseUrl, "OPENSSM_DATABASE_URL") ?? `sqlite:${join(dataDir, "openssm.db")}`,
    masterKey: str(flags.masterKey, "OPENSSM_MASTER_KEY"),
    adminAccessKeyId: str(flags.adminAccessKeyId, "OPENSSM_ADMIN_ACCESS_KEY_ID"),
    adminSecretAccessKey: str(flags.adminSecretAccessKey, "OPENSSM_ADMIN_SECRET_ACCESS_KEY"),
    testClock: Boolean(flags.testClock ?? (env.OPENSSM_TEST_CLOCK === "1" || env.OPENSSM_TEST_CLOCK === "true")),
    webhookUrls: Array.isArray(webhooks) ? webhooks.map(String) : [String(webhooks)],
    logLevel: str(flags.logLevel, "OPENSSM_LOG_LEVEL") ?? "info",
    schedulerIntervalMs: Number(str(flags.schedulerIntervalMs, "OPENSSM_SCHEDULER_INTERVAL_MS") ?? 1000),
    credentialCacheSeconds: Number(str(flags.credentialCacheSeconds, "OPENSSM_CREDENTIAL_CACHE_SECONDS") ?? 2),
    tlsPort: tlsPort(str(flags.tlsPort, "OPENSSM_TLS_PORT")),
    tlsHostnames: list(flags.tlsHostnames, env.OPENSSM_TLS_HOSTNAMES) ?? ["localhost", "127.0.0.1", "::1", hostname()],
    tlsCertFile: str(flags.tlsCertFile, "OPENSSM_TLS_CERT"),
    tlsKeyFile: str(flags.tlsKeyFile, "OPENSSM_TLS_KEY"),
    agentPollSeconds: Number(str(flags.agentPollSeconds, "OPENSSM_AGENT_POLL_SECONDS") ?? 12),
    recordPortSessions: flag(flags.recordPortSessions, env.OPENSSM_RECORD_PORT_SESSIONS, "--record-port-sessions / OPENSSM_RECORD_PORT_SESSIONS"),
    apiWorkers: apiWorkers(str(flags.apiWorkers, "OPENSSM_API_WORKERS")),
    regions: checkRegionNames(list(flags.regions, env.OPENSSM_REGIONS)),
    accountId: accountId(str(flags.accountId, "OPENSSM_ACCOUNT_ID")),
    publicUrl: baseUrl(str(flags.publicUrl, "OPENSSM_PUBLIC_URL"), "--public-url / OPENSSM_PUBLIC_URL", ["http:", "https:"]),
    publicTlsUrl: baseUrl(str(flags.publicTlsUrl, "OPENSSM_PUBLIC_TLS_URL"), "--public-tls-url / OPENSSM_PUBLIC_TLS_URL", ["https:"]),
  };
}

/** A base URL (scheme, host, port; no path), without its trailing slash. */
function baseUrl(value: string | undefined, name: string, schemes: string[]): string | undefined {
  if (value === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new Error(`${name} must be a URL such as ${schemes[0]}//ssm.example.com:4510; got '${value}'`);
  }
  if (!schemes.includes(u.protocol) || (u.pathname !== "/" && u.pathname !== "") || u.search || u.hash) {
    throw new Error(`${name} must be ${schemes.join(" or ")}//host[:port] with no path; got '${value}'`);
  }
  return u.origin;
}

function accountId(value: string | undefined): string | undefined {
  if (value !== undefined && !/^\d{12}$/.test(value)) {
    throw new Error(`--account-id / OPENSSM_ACCOUNT_ID must be an AWS account id: exactly 12 digits, such as 123456789012; got '${value}'`);
  }
  return value;
}

/** A switch: the flag when given, else the environment's 1/true/0/false; anything else is refused. */
function flag(value: unknown, envValue: string | undefined, name: string): boolean {
  if (value !== undefined && value !== null && value !== "") return value === true || value === "true" || value === "1";
  if (envValue === undefined || envValue === "") return false;
  if (envValue === "1" || envValue === "true") return true;
  if (envValue === "0" || envValue === "false") return false;
  throw new Error(`${name} must be 1, true, 0 or false; got '${envValue}'`);
}

function tlsPort(value: string | undefined): number | null {
  if (value === undefined) return 4511;
  if (value === "off" || value === "none" || value === "-1") return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--tls-port must be a port number, 0 for any free port, or "off"; got '${value}'`);
  return n;
}

function apiWorkers(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = value === "auto" ? availableParallelism() : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new Error(`--api-workers must be a whole number from 0 to 64, or "auto" (one per CPU); got '${value}'`);
  return n;
}

function list(flag: unknown, envValue: string | undefined): string[] | undefined {
  const raw = Array.isArray(flag) ? flag.map(String) : flag !== undefined && flag !== null && flag !== "" ? [String(flag)] : envValue ? [envValue] : undefined;
  const items = raw
    ?.flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
  return items?.length ? items : undefined;
}

export function defaultHome(): string {
  return homedir();
}
