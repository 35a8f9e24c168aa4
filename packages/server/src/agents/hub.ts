import { randomUUID } from "node:crypto";
import { replicaUrls } from "../http/public-urls.js";
import type { ServerSlot, Services } from "../runtime.js";
import { nodeDirectory } from "./node-identity.js";
import { nodesWithDeliverable, type ServedNodes } from "./queue.js";
import { type ChannelHome, forgetChannelHome, HEARTBEAT_MS, heartbeat, leave, recordChannelHome, remoteChannelHome } from "./replicas.js";

/** A live MGS control channel held by this replica. */
export interface ControlChannelHandle {
  instanceId: string;
  accountId: string;
  region: string;
  /** Hands the node every message that is deliverable now. */
  pump(): void;
  /** Sends a raw AgentMessage frame; false when the channel is closed. */
  send(frame: Buffer): boolean;
  close(reason: string): void;
}

/** How often a replica looks in storage for messages its channels and polls should get (other replicas' jobs, redeliveries). */
const POLL_INTERVAL_MS = 200;
/** How often a replica checks whether nodes connected to it were deregistered elsewhere. */
const DEREGISTRATION_CHECK_MS = 1_000;
/** How long a deregistered node's polls still arriving (signed just before) are refused from memory. */
const DEREGISTERED_MEMORY_MS = 5 * 60_000;
/** How far back each deregistration check looks. */
const DEREGISTRATION_LOOKBACK_MS = 2 * 60_000;

/**
 * This replica's share of delivery: the control channels it holds and the ec2messages polls it keeps
 * open. New messages wake them at once on this replica; messages queued by other replicas (and
 * redeliveries after a visibility timeout) are found by a look into storage every 200 ms.
 */
export class DeliveryHub implements ServedNodes {
  private channels = new Map<string, ControlChannelHandle>();
  /** Every control-channel connection here, open or still waiting for its OpenControlChannelInput. */
  private connections = new Set<ControlChannelHandle>();
  private waiters = new Map<string, Set<() => void>>();
  private timer?: NodeJS.Timeout;
  private polling = false;
  private stopped = false;
  /** This process among the replicas sharing the database. */
  readonly replicaId = randomUUID();
  private lastHeartbeat = 0;
  private lastDeregistrationCheck = 0;
  /** Nodes deregistered while this replica held their channel or polls, with when it learnt it. */
  private deregistered = new Map<string, number>();

  constructor(private services: Services) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), POLL_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const id of [...this.waiters.keys()]) this.wake(id);
    for (const ch of new Set([...this.connections, ...this.channels.values()])) ch.close("server shutting down");
    this.channels.clear();
    this.connections.clear();
    await leave(this.services, this.replicaId).catch((err) => this.services.log.warn({ err }, "could not remove this replica from storage"));
  }

  /** How many nodes this replica serves now, by channel (read at scrape time by the metrics). */
  counts(): { controlChannels: number; ec2messagesPolls: number } {
    let polls = 0;
    for (const set of this.waiters.values()) polls += set.size;
    return { controlChannels: this.channels.size, ec2messagesPolls: polls };
  }

  /** Where the node's control channel is: here, on another live replica, or nowhere. */
  async home(instanceId: string): Promise<ChannelHome | undefined> {
    if (this.channels.has(instanceId)) {
      const urls = replicaUrls(this.services);
      return { local: true, replicaId: this.replicaId, httpUrl: urls.http, tlsUrl: urls.tls ?? null };
    }
    const home = await remoteChannelHome(this.services, instanceId);
    return home && home.replicaId !== this.replicaId ? home : undefined;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** A connection was upgraded (its OpenControlChannelInput still to come); false, and closed, when the server is stopping. */
  accept(handle: ControlChannelHandle): boolean {
    if (this.stopped) {
      handle.close("server shutting down");
      return false;
    }
    this.connections.add(handle);
    return true;
  }

  /** Registers a channel; a previous channel of the same node (a reconnect) is closed. */
  attach(handle: ControlChannelHandle): void {
    if (this.stopped) {
      handle.close("server shutting down");
      return;
    }
    const previous = this.channels.get(handle.instanceId);
    this.channels.set(handle.instanceId, handle);
    if (previous && previous !== handle) previous.close("replaced by a newer control channel");
    this.remember(recordChannelHome(this.services, this.replicaId, handle.instanceId));
  }

  detach(handle: ControlChannelHandle): void {
    this.connections.delete(handle);
    if (this.channels.get(handle.instanceId) !== handle) return;
    this.channels.delete(handle.instanceId);
    this.remember(forgetChannelHome(this.services, this.replicaId, handle.instanceId));
  }

  private listenersUp(): boolean {
    const { port, tlsPort } = this.services.listening;
    return port !== undefined && (this.services.config.tlsPort === null || tlsPort !== undefined);
  }

  /** Keeps storage's view of the channels (for other replicas); a failure only delays their knowing. */
  private remember(write: Promise<void>): void {
    write.catch((err) => {
      if (!this.stopped) this.services.log.warn({ err }, "recording where a control channel is failed");
    });
  }

  channel(instanceId: string): ControlChannelHandle | undefined {
    return this.channels.get(instanceId);
  }

  /** The node was deregistered: its channel closes and its polls end at once, refused (see `isDeregistered`). */
  nodeDeregistered(instanceId: string): void {
    this.deregistered.set(instanceId, Date.now());
    const ch = this.channels.get(instanceId);
    if (ch) {
      this.channels.delete(instanceId);
      ch.close("the node was deregistered");
    }
    this.wake(instanceId);
  }

  /** How many nodes hold a channel or a poll here (a node with both counts twice: an upper bound). */
  get servedCount(): number {
    return this.channels.size + this.waiters.size;
  }

  /** The nodes holding a channel or a poll here. */
  *servedIds(): Iterable<string> {
    yield* this.channels.keys();
    for (const id of this.waiters.keys()) if (!this.channels.has(id)) yield id;
  }

  /** Whether the node holds a channel or a poll on this replica. */
  serves(instanceId: string): boolean {
    return this.channels.has(instanceId) || this.waiters.has(instanceId);
  }

  /** Whether this replica learnt that the node was deregistered (a poll held for it must end). */
  isDeregistered(instanceId: string): boolean {
    return this.deregistered.has(instanceId);
  }

  /** Something is deliverable for the node: push it over its channel, wake its polls. */
  notify(instanceId: string): void {
    this.channels.get(instanceId)?.pump();
    this.wake(instanceId);
  }

  /** Resolves when the node may have a message, after `ms` at the latest, or at shutdown. */
  wait(instanceId: string, ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const set = this.waiters.get(instanceId) ?? new Set();
      this.waiters.set(instanceId, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(instanceId) === set) this.waiters.delete(instanceId);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      set.add(done);
    });
  }

  private wake(instanceId: string): void {
    const set = this.waiters.get(instanceId);
    if (!set) return;
    for (const done of [...set]) done();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    // Once the listeners are up, and every few seconds after, other replicas learn this one is alive.
    if (this.listenersUp() && Date.now() - this.lastHeartbeat >= HEARTBEAT_MS) {
      this.lastHeartbeat = Date.now();
      this.remember(heartbeat(this.services, this.replicaId));
    }
    if (this.channels.size === 0 && this.waiters.size === 0) return;
    this.polling = true;
    try {
      // A node deregistered through another replica loses its channel and polls here within a second.
      if (Date.now() - this.lastDeregistrationCheck >= DEREGISTRATION_CHECK_MS) {
        this.lastDeregistrationCheck = Date.now();
        // Ask for the nodes deregistered lately (a short list, whatever the fleet's size), not about every
        // channel held: the look-back covers a missed check and replicas whose clocks differ a little.
        const since = this.services.clock.now() - DEREGISTRATION_LOOKBACK_MS;
        for (const id of await nodeDirectory(this.services).deregisteredSince(since)) if (this.serves(id)) this.nodeDeregistered(id);
        for (const [id, at] of this.deregistered) if (Date.now() - at > DEREGISTERED_MEMORY_MS) this.deregistered.delete(id);
      }
      const due = await nodesWithDeliverable(this.services.db, this, this.services.clock.now());
      for (const id of due) this.notify(id);
    } catch (err) {
      if (!this.stopped) this.services.log.warn({ err }, "looking for deliverable agent messages failed");
    } finally {
      this.polling = false;
    }
  }
}

const DELIVERY_HUB: ServerSlot<DeliveryHub> = { name: "agents.delivery-hub", create: (services) => new DeliveryHub(services) };

/** This server's delivery hub. */
export function deliveryHub(services: Services): DeliveryHub {
  return services.own(DELIVERY_HUB);
}
