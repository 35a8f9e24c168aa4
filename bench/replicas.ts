import { SendCommandCommand } from "@aws-sdk/client-ssm";
import { FakeNode, registerFakeNode, replyPayload } from "../test/harness/fake-node.js";
import { startServer, type TestServer } from "../test/harness/server.js";
import { machine, writeSection } from "./results.js";

/**
 * Cross-replica Run Command latency: two replicas on one PostgreSQL database; a node holds its MGS
 * control channel on the second; SendCommand goes to the first. Measured per command: from calling
 * SendCommand on the first replica until the node's channel on the second has the agent_job (the
 * queue in storage, the PostgreSQL NOTIFY wake-up, the delivery). Commands go one at a time.
 * Environment: BENCH_REPLICA_SAMPLES (300).
 */
const SAMPLES = Number(process.env.BENCH_REPLICA_SAMPLES ?? 300);
const WARMUP = 20;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

export async function benchReplicas(opts: { record: boolean }): Promise<void> {
  const first: TestServer = await startServer({ engine: "postgres" });
  let second: TestServer | undefined;
  try {
    second = await startServer({ databaseUrl: first.databaseUrl, masterKey: first.masterKey, admin: first.admin });
    process.stderr.write("replicas: two replicas up\n");
    const registered = await registerFakeNode(first);
    const node = new FakeNode({ ...second, caFile: first.caFile } as TestServer, registered.instanceId, registered.creds);
    const channel = await node.openControlChannel();
    const ssm = first.ssm();
    const delivered: number[] = [];
    const apiCall: number[] = [];
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const started = performance.now();
      const sent = await ssm.send(
        new SendCommandCommand({ DocumentName: "AWS-RunShellScript", InstanceIds: [node.instanceId], Parameters: { commands: [`echo ${i}`] } }),
      );
      const answered = performance.now();
      const commandId = String(sent.Command?.CommandId);
      const job = await channel.nextJob((j) => j.job.JobId.includes(commandId), 10_000);
      const arrived = performance.now();
      channel.ackJob(job);
      await channel.reply(job.job.JobId, replyPayload("Success", { "aws:runShellScript": { status: "Success", stdout: `${i}\n` } }));
      if ((i + 1) % 50 === 0) process.stderr.write(`replicas: ${i + 1} of ${WARMUP + SAMPLES} commands\n`);
      if (i >= WARMUP) {
        delivered.push(arrived - started);
        apiCall.push(answered - started);
      }
    }
    await channel.close();
    delivered.sort((a, b) => a - b);
    apiCall.sort((a, b) => a - b);
    const row = (name: string, v: number[]) =>
      `| ${name} | ${quantile(v, 0.5).toFixed(1)} | ${quantile(v, 0.95).toFixed(1)} | ${quantile(v, 0.99).toFixed(1)} | ${v[v.length - 1].toFixed(1)} |`;
    const p99 = quantile(delivered, 0.99);
    const md = `## Replicas: cross-replica SendCommand latency (postgres)

${machine()}; measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench -- replicas\` (bench/replicas.ts).
Two replicas on one PostgreSQL database; the node's MGS control channel is on the second, SendCommand
goes to the first; ${SAMPLES} commands one at a time (after ${WARMUP} warm-up). The first replica wakes the
second with PostgreSQL NOTIFY; polling storage every 200 ms stays as the fallback.

| milliseconds | p50 | p95 | p99 | max |
| --- | --- | --- | --- | --- |
${row("SendCommand on replica 1 → agent_job on the node's channel on replica 2", delivered)}
${row("of which the SendCommand call itself", apiCall)}

Target p99 ≤ 100 ms: ${p99 <= 100 ? "met" : "not met"} (${p99.toFixed(1)} ms).
`;
    process.stdout.write(`${md}\n`);
    if (opts.record) writeSection("replicas", md);
  } finally {
    await second?.stop();
    await first.destroy();
  }
}
