import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SSMClient } from "@aws-sdk/client-ssm";
import { KMSClient } from "@aws-sdk/client-kms";
import { createDatabase } from "./postgres.js";
import { repoRoot, tsxArgs } from "./paths.js";

export type Engine = "sqlite" | "postgres";

/** The engine the e2e suite runs on: OPENSSM_TEST_ENGINE=sqlite (default) or postgres. */
export const testEngine: Engine = process.env.OPENSSM_TEST_ENGINE === "postgres" ? "postgres" : "sqlite";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface TestServer {
  endpoint: string;
  port: number;
  /** The TLS listener (agents' wss:// channels), https://127.0.0.1:<port>; empty with `--tls-port off`. */
  tlsEndpoint: string;
  /** The server's CA certificate file (PEM), for clients that connect to tlsEndpoint. */
  caFile: string;
  region: string;
  engine: Engine;
  dataDir: string;
  databaseUrl: string;
  masterKey: string;
  admin: Credentials;
  process: ChildProcess;
  /** Everything the server wrote to stdout/stderr so far (its logs). */
  output(): string;
  ssm(creds?: Credentials, region?: string): SSMClient;
  kms(creds?: Credentials, region?: string): KMSClient;
  /** Moves the server's clock forward and runs due scheduled work (server started with testClock). */
  advanceClock(seconds: number): Promise<void>;
  /** Stops the server (SIGTERM), keeping its data for a restart. */
  stop(): Promise<void>;
  /** kill -9 */
  kill(): Promise<void>;
  /** Starts the server again on the same data and port. */
  restart(): Promise<void>;
  /** Stops and removes data (and the PostgreSQL database). */
  destroy(): Promise<void>;
}

export interface StartOptions {
  engine?: Engine;
  testClock?: boolean;
  env?: Record<string, string>;
  /** Extra CLI flags for `openssm server`. */
  args?: string[];
  /** Share an existing database (for several replicas). */
  databaseUrl?: string;
  masterKey?: string;
  admin?: Credentials;
}

export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  const engine = opts.engine ?? testEngine;
  const dataDir = mkdtempSync(join(tmpdir(), "openssm-test-"));
  let dropDb: (() => Promise<void>) | undefined;
  let databaseUrl = opts.databaseUrl;
  if (!databaseUrl) {
    if (engine === "postgres") {
      const db = await createDatabase();
      databaseUrl = db.url;
      dropDb = db.drop;
    } else databaseUrl = `sqlite:${join(dataDir, "openssm.db")}`;
  }
  const masterKey = opts.masterKey ?? randomBytes(32).toString("base64");
  const admin = opts.admin ?? { accessKeyId: `AKIATEST${randomBytes(6).toString("hex").toUpperCase()}`, secretAccessKey: randomBytes(20).toString("hex") };
  let port = 0;
  let tlsPort = 0;
  let tlsEndpoint = "";
  let caFile = "";
  let child!: ChildProcess;
  let log = "";
  let endpoint = "";

  async function launch(): Promise<void> {
    const args = [
      // OPENSSM_TEST_SERVER_NODE_ARGS: extra node flags for the server process (e.g. --cpu-prof when profiling).
      ...(process.env.OPENSSM_TEST_SERVER_NODE_ARGS?.split(" ").filter(Boolean) ?? []),
      ...tsxArgs(),
      join(repoRoot, "packages/cli/src/main.ts"),
      "server",
      "--port",
      String(port),
      "--data-dir",
      dataDir,
      "--database-url",
      databaseUrl as string,
      "--tls-port",
      String(tlsPort),
    ];
    if (opts.testClock) args.push("--test-clock");
    args.push(...(opts.args ?? []));
    child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: {
        ...process.env,
        OPENSSM_MASTER_KEY: masterKey,
        OPENSSM_ADMIN_ACCESS_KEY_ID: admin.accessKeyId,
        OPENSSM_ADMIN_SECRET_ACCESS_KEY: admin.secretAccessKey,
        OPENSSM_LOG_LEVEL: process.env.OPENSSM_LOG_LEVEL ?? "warn",
        OPENSSM_SCHEDULER_INTERVAL_MS: "200",
        ...opts.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    endpoint = await new Promise<string>((resolve, reject) => {
      // OPENSSM_TEST_START_TIMEOUT_MS: more time to start on a machine busy with other work.
      const startMs = Number(process.env.OPENSSM_TEST_START_TIMEOUT_MS ?? 60_000);
      const timer = setTimeout(() => {
        // A server that never came up must not outlive the test.
        child.kill("SIGKILL");
        reject(new Error(`server did not start within ${startMs / 1000} s:\n${log}`));
      }, startMs);
      const onData = (d: Buffer) => {
        log += d.toString();
        const m = log.match(/listening on (http:\/\/[^\s]+)/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code} before listening:\n${log}`));
      });
    });
    port = Number(new URL(endpoint).port);
    const tls = log.match(/tls listening on (https:\/\/[^\s]+)/);
    tlsEndpoint = tls ? tls[1] : "";
    if (tls) tlsPort = Number(new URL(tls[1]).port);
    caFile = log.match(/CA certificate: ([^\s]+)/)?.[1] ?? "";
  }

  await launch();
  const waitExit = () => new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once("exit", () => r())));
  const clientConfig = (creds: Credentials, region: string) => ({ endpoint, region, credentials: creds, maxAttempts: 1 });

  const server: TestServer = {
    get endpoint() {
      return endpoint;
    },
    get port() {
      return port;
    },
    get tlsEndpoint() {
      return tlsEndpoint;
    },
    get caFile() {
      return caFile;
    },
    region: "us-east-1",
    engine,
    dataDir,
    databaseUrl,
    masterKey,
    admin,
    get process() {
      return child;
    },
    output: () => log,
    ssm: (creds = admin, region = "us-east-1") => new SSMClient(clientConfig(creds, region)),
    kms: (creds = admin, region = "us-east-1") => new KMSClient(clientConfig(creds, region)),
    async advanceClock(seconds) {
      const res = await fetch(`${endpoint}/_openssm/clock`, { method: "POST", body: JSON.stringify({ advanceSeconds: seconds }) });
      if (!res.ok) throw new Error(`advancing the clock failed: ${res.status} ${await res.text()}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await waitExit();
      }
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await waitExit();
      }
    },
    restart: () => launch(),
    async destroy() {
      await server.stop();
      await dropDb?.();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}
