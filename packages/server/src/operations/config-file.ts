import { readFileSync, statSync } from "node:fs";
import { parse } from "yaml";

/** What a key of the configuration file holds. */
type Kind = "string" | "integer" | "boolean" | "list" | "port" | "secret";

interface KeySpec {
  /** The environment variable the key stands for (a flag beats the variable, the variable beats the file). */
  env: string;
  kind: Kind;
}

/**
 * The keys of the server's configuration file (e.g. /etc/openssm/server.yaml): one per flag of
 * `openssm server` (same name, without the dashes) and one per environment variable it reads.
 * Precedence: flag > environment > file > default.
 */
export const CONFIG_KEYS: Record<string, KeySpec> = {
  host: { env: "OPENSSM_HOST", kind: "string" },
  port: { env: "OPENSSM_PORT", kind: "port" },
  "data-dir": { env: "OPENSSM_DATA_DIR", kind: "string" },
  "database-url": { env: "OPENSSM_DATABASE_URL", kind: "secret" },
  "log-level": { env: "OPENSSM_LOG_LEVEL", kind: "string" },
  webhook: { env: "OPENSSM_WEBHOOK_URLS", kind: "list" },
  "test-clock": { env: "OPENSSM_TEST_CLOCK", kind: "boolean" },
  "tls-port": { env: "OPENSSM_TLS_PORT", kind: "string" },
  "tls-hostname": { env: "OPENSSM_TLS_HOSTNAMES", kind: "list" },
  "tls-cert": { env: "OPENSSM_TLS_CERT", kind: "string" },
  "tls-key": { env: "OPENSSM_TLS_KEY", kind: "string" },
  "agent-poll-seconds": { env: "OPENSSM_AGENT_POLL_SECONDS", kind: "integer" },
  "record-port-sessions": { env: "OPENSSM_RECORD_PORT_SESSIONS", kind: "boolean" },
  "api-workers": { env: "OPENSSM_API_WORKERS", kind: "string" },
  regions: { env: "OPENSSM_REGIONS", kind: "list" },
  "account-id": { env: "OPENSSM_ACCOUNT_ID", kind: "string" },
  "public-url": { env: "OPENSSM_PUBLIC_URL", kind: "string" },
  "public-tls-url": { env: "OPENSSM_PUBLIC_TLS_URL", kind: "string" },
  // Environment variables with no flag.
  "master-key": { env: "OPENSSM_MASTER_KEY", kind: "secret" },
  "admin-access-key-id": { env: "OPENSSM_ADMIN_ACCESS_KEY_ID", kind: "string" },
  "admin-secret-access-key": { env: "OPENSSM_ADMIN_SECRET_ACCESS_KEY", kind: "secret" },
  "scheduler-interval-ms": { env: "OPENSSM_SCHEDULER_INTERVAL_MS", kind: "integer" },
  "credential-cache-seconds": { env: "OPENSSM_CREDENTIAL_CACHE_SECONDS", kind: "integer" },
  "session-recording-retention-days": { env: "OPENSSM_SESSION_RECORDING_RETENTION_DAYS", kind: "integer" },
  "automation-script-memory-mb": { env: "OPENSSM_AUTOMATION_SCRIPT_MEMORY_MB", kind: "integer" },
  "automation-webhook-destinations": { env: "OPENSSM_AUTOMATION_WEBHOOK_DESTINATIONS", kind: "list" },
  "automation-pythonpath": { env: "OPENSSM_AUTOMATION_PYTHONPATH", kind: "string" },
  python: { env: "OPENSSM_PYTHON", kind: "string" },
};

/**
 * Variables the file cannot set, and why: OPENSSM_API_WORKER marks the server's own worker processes;
 * OPENSSM_SQL_PROFILE is a diagnostic read when storage's module loads (before any file is read).
 */
export const ENV_ONLY = { OPENSSM_API_WORKER: "internal", OPENSSM_SQL_PROFILE: "diagnostic" } as const;

/** The configuration file named by --config or OPENSSM_CONFIG. */
export const CONFIG_ENV = "OPENSSM_CONFIG";

export interface ConfigFile {
  path: string;
  /** The file's settings as environment variables. */
  env: Record<string, string>;
  /** What is wrong with the file (unknown keys, values of the wrong kind, secrets others can read). */
  problems: string[];
}

/** Reads and checks the file; throws only when it cannot be read or parsed at all. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read the configuration file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new Error(`${path} is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  const out: ConfigFile = { path, env: {}, problems: [] };
  if (doc === null || doc === undefined) return out;
  if (typeof doc !== "object" || Array.isArray(doc)) throw new Error(`${path} must hold a mapping of keys to values (key: value lines)`);
  let holdsSecret = false;
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    const spec = CONFIG_KEYS[key];
    if (!spec) {
      out.problems.push(`${path}: unknown key '${key}'${suggest(key)}`);
      continue;
    }
    if (value === null || value === undefined) continue;
    const text = asEnv(value, spec.kind);
    if (text === undefined) {
      out.problems.push(`${path}: '${key}' must be ${describe(spec.kind)}; got ${JSON.stringify(value)}`);
      continue;
    }
    if (spec.kind === "secret" && (key !== "database-url" || /\/\/[^/@]+:[^@]+@/.test(text))) holdsSecret = true;
    out.env[spec.env] = text;
  }
  if (holdsSecret) {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o007)
      out.problems.push(`${path} holds a secret but everyone may read it (mode ${mode.toString(8)}): chmod 640 (owner root, group openssm) or 600`);
  }
  return out;
}

/** Sets, in `env`, the file's settings that the environment does not already set (flags beat both later). */
export function applyConfigFile(file: ConfigFile, env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(file.env)) if (env[name] === undefined || env[name] === "") env[name] = value;
}

function asEnv(value: unknown, kind: Kind): string | undefined {
  switch (kind) {
    case "boolean":
      return typeof value === "boolean" ? String(value) : undefined;
    case "integer":
      return Number.isInteger(value) && (value as number) >= 0 ? String(value) : undefined;
    case "port":
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535 ? String(value) : undefined;
    case "list":
      if (typeof value === "string") return value;
      return Array.isArray(value) && value.every((v) => typeof v === "string") ? value.join(",") : undefined;
    default:
      return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
  }
}

function describe(kind: Kind): string {
  return {
    string: "a string",
    secret: "a string",
    integer: "a whole number (0 or more)",
    boolean: "true or false",
    list: "a list of strings (or one comma-separated string)",
    port: "a port number from 0 to 65535",
  }[kind];
}

function suggest(key: string): string {
  const near = Object.keys(CONFIG_KEYS).find((k) => k.replace(/[-_]/g, "") === key.toLowerCase().replace(/[-_]/g, "") || distance(k, key) <= 2);
  return near ? ` (did you mean '${near}'?)` : "";
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}
