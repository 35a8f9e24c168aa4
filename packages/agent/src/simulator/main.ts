#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import type { TransportMode } from "../agent.js";
import { Fleet } from "./fleet.js";

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive integer");
  return n;
}

const program = new Command()
  .name("openssm-fleet-simulator")
  .description("Runs N simulated managed nodes in one process, speaking the real agent protocols.")
  .requiredOption("--count <n>", "number of nodes", positiveInt)
  .requiredOption("--code <code>", "activation code (its registration limit must allow --count nodes)")
  .requiredOption("--id <id>", "activation id")
  .requiredOption("--endpoint <url>", "the server's API endpoint, e.g. http://127.0.0.1:4510")
  .option("--tls-endpoint <url>", "the server's TLS endpoint for control channels, e.g. https://127.0.0.1:4511")
  .option("--ca-file <pem>", "the server's CA certificate")
  .option("--region <region>", "region", "us-east-1")
  .option("--transport <mode>", "mgs, poll or auto", "mgs")
  .option("--name-prefix <prefix>", "computer names <prefix>-<n>", "sim")
  .option("--unique-keys", "one RSA key per node (slow: about 0.3 s of CPU per key)")
  .option("--shell", "run every command in a real shell (default: echo-only scripts run in-process)")
  .option("--state-file <file>", "keep the fleet's identities here and reuse them on the next run against the same server")
  .option("--concurrency <n>", "registrations and starts in flight", positiveInt, 32)
  .action(async (o) => {
    if (!["mgs", "poll", "auto"].includes(o.transport)) throw new InvalidArgumentError("--transport must be mgs, poll or auto");
    if (o.transport !== "poll" && !o.tlsEndpoint) throw new InvalidArgumentError(`--transport ${o.transport} needs --tls-endpoint`);
    const started = Date.now();
    const fleet = await Fleet.start({
      count: o.count,
      activationCode: o.code,
      activationId: o.id,
      region: o.region,
      endpoint: o.endpoint,
      tlsEndpoint: o.tlsEndpoint,
      ca: o.caFile ? readFileSync(o.caFile) : undefined,
      transport: o.transport as TransportMode,
      inlineExecution: !o.shell,
      namePrefix: o.namePrefix,
      keys: o.uniqueKeys ? "unique" : "shared",
      stateFile: o.stateFile,
      concurrency: o.concurrency,
    });
    await fleet.ready();
    process.stderr.write(`${fleet.nodes.length} simulated nodes ready over ${o.transport} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    const stop = async () => {
      await fleet.stop();
      process.exit(0);
    };
    process.on("SIGINT", () => void stop());
    process.on("SIGTERM", () => void stop());
  });

program.parseAsync(process.argv).catch((e) => {
  process.stderr.write(`simulator: ${(e as Error).message}\n`);
  process.exit(1);
});
