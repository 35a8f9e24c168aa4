import { existsSync, readFileSync } from "node:fs";
import type { Logger } from "../log.js";
import { Agent, type TransportMode } from "../agent.js";
import { HttpTransport } from "../aws/http-transport.js";
import { type PlatformInfo, platformInfo } from "../health/platform-info.js";
import { ensureDir, writeFileAtomic } from "../identity/identity-store.js";
import type { NodeIdentity } from "../identity/identity-store.js";
import { generateNodeKeyPair, loadNodeKeyPair, type NodeKeyPair } from "../identity/key-pair.js";
import { registerNode } from "../identity/register.js";
import { createLog } from "../log.js";

export interface FleetOptions {
  /** How many simulated nodes. */
  count: number;
  activationCode: string;
  activationId: string;
  region?: string;
  /** The server's API endpoint (http:// or https://). */
  endpoint: string;
  /** The server's TLS endpoint for control channels (needed for mgs and auto). */
  tlsEndpoint?: string;
  /** PEM of the CA that signed the TLS endpoint's certificate. */
  ca?: string | Buffer;
  /** mgs: control channels; poll: ec2messages long polls; auto: both as the agent does. */
  transport?: TransportMode;
  /** Run `echo` scripts without a shell (default true); other scripts still run in a real shell. */
  inlineExecution?: boolean;
  /** ComputerName prefix: <prefix>-<n>. */
  namePrefix?: string;
  /**
   * RSA keys: "shared" (default) gives every node one of a few keys, since generating 1,000 RSA-2048
   * keys takes minutes; "unique" gives each node its own, as real machines have.
   */
  keys?: "shared" | "unique";
  /** Registrations (and starts) in flight at once. */
  concurrency?: number;
  /** Keep the fleet's identities here and reuse them (same server): registration happens once. */
  stateFile?: string;
  /** Streamed output interval of the simulated agents (ms). */
  outputIntervalMs?: number;
  log?: Logger;
}

export interface SimulatedNode {
  identity: NodeIdentity;
  agent: Agent;
}

interface SavedFleet {
  endpoint: string;
  nodes: { identity: NodeIdentity; privateKeyPem: string }[];
}

async function inBatches<T>(items: T[], size: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

/**
 * Many managed nodes in one process, each with its own identity (registered through the real
 * RegisterManagedInstance), its own credentials, its own control channel or long poll, built
 * from the agent's own modules. For tests and benchmarks that need a fleet on one machine.
 */
export class Fleet {
  readonly nodes: SimulatedNode[] = [];
  readonly http: HttpTransport;
  private readonly log: Logger;

  private constructor(private readonly opts: FleetOptions) {
    this.http = new HttpTransport(opts.ca);
    this.log = opts.log ?? createLog(process.env.OPENSSM_AGENT_LOG_LEVEL ?? "warn", { simulator: true });
  }

  /** Registers (or reloads) the nodes and starts their agents. */
  static async start(opts: FleetOptions): Promise<Fleet> {
    const fleet = new Fleet(opts);
    await fleet.register();
    await fleet.startAgents();
    return fleet;
  }

  get instanceIds(): string[] {
    return this.nodes.map((n) => n.identity.instanceId);
  }

  private async keyPool(): Promise<() => Promise<NodeKeyPair>> {
    if (this.opts.keys === "unique") return () => generateNodeKeyPair();
    const pool = await Promise.all(Array.from({ length: Math.min(4, this.opts.count) }, () => generateNodeKeyPair()));
    let i = 0;
    return async () => pool[i++ % pool.length];
  }

  private async register(): Promise<void> {
    const o = this.opts;
    const saved = o.stateFile && existsSync(o.stateFile) ? (JSON.parse(readFileSync(o.stateFile, "utf8")) as SavedFleet) : undefined;
    const reusable = saved && saved.endpoint === o.endpoint ? saved.nodes.slice(0, o.count) : [];
    const keysFor = await this.keyPool();
    const fresh: { identity: NodeIdentity; keys: NodeKeyPair }[] = new Array(o.count - reusable.length);
    await inBatches(fresh, o.concurrency ?? 32, async (_x, i) => {
      const keys = await keysFor();
      fresh[i] = await registerNode(
        {
          activationCode: o.activationCode,
          activationId: o.activationId,
          region: o.region ?? "us-east-1",
          endpoint: o.endpoint,
          tlsEndpoint: o.tlsEndpoint,
          name: `${o.namePrefix ?? "sim"}-${reusable.length + i + 1}`,
          keys,
        },
        this.http,
      );
    });
    const all = [...reusable.map((n) => ({ identity: n.identity, keys: loadNodeKeyPair(n.privateKeyPem) })), ...fresh];
    if (o.stateFile) {
      ensureDir(o.stateFile.replace(/\/[^/]*$/, "") || ".");
      const out: SavedFleet = { endpoint: o.endpoint, nodes: all.map((n) => ({ identity: n.identity, privateKeyPem: n.keys.privateKeyPem })) };
      writeFileAtomic(o.stateFile, JSON.stringify(out));
    }
    const base = platformInfo();
    for (const n of all) {
      const platform: PlatformInfo = { ...base, ComputerName: n.identity.name ?? base.ComputerName };
      const agent = new Agent({
        identity: n.identity,
        keys: n.keys,
        transport: o.transport ?? "mgs",
        http: this.http,
        log: this.log.child({ instanceId: n.identity.instanceId }),
        inlineExecution: o.inlineExecution ?? true,
        platform,
        outputIntervalMs: o.outputIntervalMs ?? 1_000,
        reconnect: { initialMs: 500, maxMs: 30_000 },
        pollGraceMs: 5_000,
      });
      this.nodes.push({ identity: n.identity, agent });
    }
  }

  private async startAgents(): Promise<void> {
    await inBatches(this.nodes, this.opts.concurrency ?? 32, async (n) => {
      await n.agent.credentials.get();
      await n.agent.start();
    });
  }

  /** Nodes whose control channel is up. */
  connectedCount(): number {
    return this.nodes.filter((n) => n.agent.channel?.connected).length;
  }

  /** Waits until every node's control channel is up (mgs) or every node polled once (poll). */
  async ready(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const isReady = () => this.nodes.every((n) => (n.agent.channel ? n.agent.channel.connected : n.agent.poller?.listening));
    while (!isReady()) {
      if (Date.now() > deadline) {
        const missing = this.nodes.filter((n) => !(n.agent.channel ? n.agent.channel.connected : n.agent.poller?.listening));
        throw new Error(
          `${missing.length} of ${this.nodes.length} simulated nodes are not connected (e.g. ${missing[0]?.identity.instanceId}: ${missing[0]?.agent.channel?.lastError ?? missing[0]?.agent.poller?.lastError ?? "?"})`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.agent.stop()));
    this.http.close();
  }
}
