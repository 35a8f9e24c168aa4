import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SSMClient } from "@aws-sdk/client-ssm";
import pg from "pg";
import { eventually, type ReceivedEvent, startServer, type TestServer, webhookReceiver } from "../harness/index.js";

/** Processes to kill if the test process ends before its after() hooks ran (a timed-out file is ended at once). */
const orphans = new Set<{ kill(signal: NodeJS.Signals): boolean }>();
process.on("exit", () => {
  for (const child of orphans) child.kill("SIGKILL");
});

/** HAProxy as Debian installs it (`apt-get install haproxy`). */
export const HAPROXY = process.env.OPENSSM_TEST_HAPROXY ?? "/usr/sbin/haproxy";
export const haproxyMissing = !existsSync(HAPROXY) && `HAProxy is not installed (${HAPROXY}; apt-get install haproxy)`;

/** A port nothing listens on now (the balancer binds it next). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface Balancer {
  /** http://127.0.0.1:<port>: the API, ec2messages, CreateControlChannel (HTTP mode). */
  httpUrl: string;
  /** https://127.0.0.1:<port>: the replicas' TLS listeners (TCP mode, TLS ends on the replicas). */
  tlsUrl: string;
  /** Sends a command to HAProxy's runtime API (e.g. `set server mgs/r2 state drain`). */
  admin(command: string): Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

/** The ports a balancer will bind, chosen before the replicas start (they name it as their public address). */
export async function balancerPorts(): Promise<{ http: number; tls: number }> {
  return { http: await freePort(), tls: await freePort() };
}

/**
 * HAProxy in front of the replicas: HTTP mode for the API port (websockets pass through), TCP mode
 * for the TLS port. Health checks every 300 ms take a dead replica out; a connection refused by one
 * is sent to another (redispatch).
 */
export async function startBalancer(ports: { http: number; tls: number }, replicas: TestServer[]): Promise<Balancer> {
  const dir = mkdtempSync(join(tmpdir(), "openssm-haproxy-"));
  const socket = join(dir, "admin.sock");
  const servers = (kind: "http" | "tls") =>
    replicas
      .map((r, i) => {
        const port = kind === "http" ? r.port : Number(new URL(r.tlsEndpoint).port);
        const check = kind === "http" ? "check inter 300 fall 1 rise 1" : "check inter 300 fall 1 rise 1";
        return `  server r${i + 1} 127.0.0.1:${port} ${check}`;
      })
      .join("\n");
  const config = `global
  maxconn 2000
  stats socket ${socket} mode 600 level admin

defaults
  retries 3
  option redispatch
  timeout connect 1s
  timeout client 1h
  timeout server 1h
  timeout tunnel 1h
  timeout http-request 10s

frontend api
  mode http
  bind 127.0.0.1:${ports.http}
  default_backend api

backend api
  mode http
  balance roundrobin
  option httpchk GET /health/live
${servers("http")}

frontend mgs
  mode tcp
  bind 127.0.0.1:${ports.tls}
  default_backend mgs

backend mgs
  mode tcp
  balance roundrobin
${servers("tls")}
`;
  const file = join(dir, "haproxy.cfg");
  writeFileSync(file, config);
  const child: ChildProcess = spawn(HAPROXY, ["-f", file, "-db"], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout?.on("data", (d) => (log += d));
  child.stderr?.on("data", (d) => (log += d));
  orphans.add(child);
  const httpUrl = `http://127.0.0.1:${ports.http}`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}: ${log}`);
      return (await fetch(`${httpUrl}/health/live`).catch(() => undefined))?.ok;
    },
    { timeoutMs: 20_000, intervalMs: 100, what: "HAProxy to answer" },
  );
  return {
    httpUrl,
    tlsUrl: `https://127.0.0.1:${ports.tls}`,
    admin: (command) =>
      new Promise((resolve, reject) => {
        const c = createConnection(socket);
        let out = "";
        c.on("data", (d) => (out += d));
        c.on("error", reject);
        c.on("end", () => resolve(out));
        c.end(`${command}\n`);
      }),
    output: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      orphans.delete(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The balancer seen as one server: what clients and agents are pointed at. */
export function throughBalancer(first: TestServer, lb: Balancer): TestServer {
  const clientConfig = (creds = first.admin, region = "us-east-1") => ({ endpoint: lb.httpUrl, region, credentials: creds, maxAttempts: 1 });
  return {
    ...first,
    endpoint: lb.httpUrl,
    tlsEndpoint: lb.tlsUrl,
    caFile: first.caFile,
    port: Number(new URL(lb.httpUrl).port),
    ssm: (creds, region) => new SSMClient(clientConfig(creds, region)),
  } as TestServer;
}

/** Reads the replicas' shared storage (where each node's control channel is, who holds the scheduler lease). */
export class ClusterView {
  private client: pg.Client;
  constructor(url: string) {
    this.client = new pg.Client({ connectionString: url });
  }
  async connect(): Promise<void> {
    await this.client.connect();
  }
  close(): Promise<void> {
    return this.client.end();
  }

  /** The replica (of `replicas`) holding the node's control channel now, if any. */
  async channelHome(instanceId: string, replicas: TestServer[]): Promise<TestServer | undefined> {
    const r = await this.client.query(
      "select r.http_url from control_channel_homes h join server_replicas r on r.replica_id = h.replica_id where h.instance_id = $1",
      [instanceId],
    );
    const url = r.rows[0]?.http_url as string | undefined;
    if (!url) return undefined;
    const port = Number(new URL(url).port);
    return replicas.find((s) => s.port === port && s.process.exitCode === null && s.process.signalCode === null);
  }

  /** The process id in the scheduler lease's holder (`<pid>:<uuid>`), while the lease is live. */
  async leaseHolderPid(): Promise<number | undefined> {
    const r = await this.client.query("select holder, expires_at from scheduler_leases where name = 'scheduler'");
    const row = r.rows[0] as { holder: string; expires_at: number | string } | undefined;
    if (!row || Number(row.expires_at) < Date.now()) return undefined;
    return Number(row.holder.split(":")[0]);
  }

  async sessionStatus(sessionId: string): Promise<string | undefined> {
    const r = await this.client.query("select status from sessions where session_id = $1", [sessionId]);
    return r.rows[0]?.status as string | undefined;
  }
}

export interface Cluster {
  replicas: TestServer[];
  lb: Balancer;
  /** The balancer as one server: what agents, the CLI and SDK clients are given. */
  front: TestServer;
  view: ClusterView;
  events: ReceivedEvent[];
  /** The live replica holding the node's control channel (waits for the node to have one). */
  homeOf(instanceId: string): Promise<TestServer>;
  /** HAProxy's name of a replica's server line (r1, r2, ...). */
  nameOf(replica: TestServer): string;
  close(): Promise<void>;
}

/**
 * `count` replicas on one new PostgreSQL database, each naming the balancer as its public address,
 * and HAProxy in front of them; every replica posts its events to one webhook receiver.
 */
export async function startCluster(count: number): Promise<Cluster> {
  const events: ReceivedEvent[] = [];
  const hook = await webhookReceiver(events);
  const ports = await balancerPorts();
  const args = ["--public-url", `http://127.0.0.1:${ports.http}`, "--public-tls-url", `https://127.0.0.1:${ports.tls}`, "--webhook", hook.url];
  const replicas: TestServer[] = [];
  const first = await startServer({ args });
  replicas.push(first);
  const live = { kill: (signal: NodeJS.Signals) => replicas.every((r) => r.process.kill(signal)) };
  orphans.add(live);
  // One after the other: starting several at once on a busy machine only makes each slower.
  for (let i = 1; i < count; i++) replicas.push(await startServer({ args, databaseUrl: first.databaseUrl, masterKey: first.masterKey, admin: first.admin }));
  const lb = await startBalancer(ports, replicas);
  const view = new ClusterView(first.databaseUrl);
  await view.connect();
  return {
    replicas,
    lb,
    front: throughBalancer(first, lb),
    view,
    events,
    homeOf: (instanceId) => eventually(() => view.channelHome(instanceId, replicas), { timeoutMs: 60_000, what: `${instanceId}'s control channel` }),
    nameOf: (replica) => `r${replicas.indexOf(replica) + 1}`,
    async close() {
      await lb.stop();
      await view.close().catch(() => {});
      for (const r of replicas.slice(1)) await r.stop();
      await first.destroy();
      orphans.delete(live);
      await hook.close();
    },
  };
}
