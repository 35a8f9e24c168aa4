import type { FastifyInstance } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { deliveryHub } from "../agents/hub.js";
import type { ServerSlot, Services } from "../runtime.js";

/**
 * This server's Prometheus metrics. Each server (a ServerSlot) has its own registry, so two servers
 * in one process never share counts. API calls are recorded by the dispatcher; node counts and the
 * scheduler's lag are read when Prometheus scrapes.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"service" | "operation" | "outcome">;
  private readonly latency: Histogram<"service" | "operation" | "outcome">;
  private readonly bodyThreads: Counter<"operation" | "outcome">;

  constructor(services: Services) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "openssm_" });
    this.requests = new Counter({
      name: "openssm_api_requests_total",
      help: "API calls answered, by service, operation and outcome (the error code, or ok).",
      labelNames: ["service", "operation", "outcome"],
      registers,
    });
    this.latency = new Histogram({
      name: "openssm_api_request_duration_seconds",
      help: "Time to answer an API call, by service, operation and outcome.",
      labelNames: ["service", "operation", "outcome"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.bodyThreads = new Counter({
      name: "openssm_body_thread_jobs_total",
      help: "Large request bodies handled on a body thread, by operation and outcome (prepared, refused, or failed: then handled on the event loop).",
      labelNames: ["operation", "outcome"],
      registers,
    });
    new Gauge({
      name: "openssm_connected_nodes",
      help: "Nodes connected to this server now, by channel (mgs: control channels; ec2messages: open polls).",
      labelNames: ["channel"],
      registers,
      collect() {
        const counts = deliveryHub(services).counts();
        this.set({ channel: "mgs" }, counts.controlChannels);
        this.set({ channel: "ec2messages" }, counts.ec2messagesPolls);
      },
    });
    new Gauge({
      name: "openssm_scheduler_lag_seconds",
      help: "Seconds since this server's scheduler last finished a tick (absent before the first).",
      registers,
      collect() {
        this.reset();
        const last = services.scheduler.lastTickAt();
        if (last !== undefined) this.set((Date.now() - last) / 1000);
      },
    });
  }

  /** One body handled on a body thread. */
  bodyThread(operation: string, outcome: "prepared" | "refused" | "failed"): void {
    this.bodyThreads.inc({ operation, outcome });
  }

  /** One answered API call. `outcome` is the error code, or "ok". */
  apiCall(service: string, operation: string, outcome: string, durationMs: number): void {
    const labels = { service, operation, outcome };
    this.requests.inc(labels);
    this.latency.observe(labels, durationMs / 1000);
  }
}

const METRICS: ServerSlot<ServerMetrics> = { name: "metrics.registry", create: (services) => new ServerMetrics(services) };

/** This server's metrics. */
export function serverMetrics(services: Services): ServerMetrics {
  return services.own(METRICS);
}

/**
 * GET /metrics (Prometheus text exposition), GET /health/live and GET /health/ready. Unauthenticated,
 * like /health. Migrations run before the server listens, so a server that answers has run them;
 * readiness then follows storage: 503 while the database does not answer.
 */
export function metricsRoutes(app: FastifyInstance, services: Services): void {
  const metrics = serverMetrics(services);
  app.get("/metrics", async (_req, reply) => {
    const body = await metrics.registry.metrics();
    return reply.header("content-type", metrics.registry.contentType).send(body);
  });
  app.get("/health/live", async (_req, reply) => reply.send({ status: "live" }));
  app.get("/health/ready", async (_req, reply) => {
    try {
      await services.db.selectNoFrom((eb) => eb.val(1).as("one")).execute();
      return reply.send({ status: "ready", engine: services.engine });
    } catch (err) {
      services.log.warn({ err }, "readiness check: storage does not answer");
      return reply.code(503).send({ status: "unavailable", reason: "storage does not answer" });
    }
  });
}
