import type { Command } from "commander";
import { CONSOLE_PATH, consoleBuilt, loadOperations, startServer } from "@openssm/server";
import { applyServerConfigFile } from "./operations-command.js";

export function registerServerCommand(program: Command): void {
  program
    .command("server")
    .description("start the openssm server")
    .option("--host <host>", "address to listen on (OPENSSM_HOST, default 127.0.0.1)")
    .option("--port <port>", "port (OPENSSM_PORT, default 4510; 0 picks a free one)")
    .option("--data-dir <dir>", "data directory (OPENSSM_DATA_DIR, default ./.openssm)")
    .option("--database-url <url>", "sqlite:<file> or postgres://... (OPENSSM_DATABASE_URL)")
    .option("--log-level <level>", "pino log level (OPENSSM_LOG_LEVEL, default info)")
    .option("--webhook <url...>", "deliver events to these URLs (OPENSSM_WEBHOOK_URLS, comma-separated)")
    .option("--test-clock", "let tests move the server's clock (never in production)")
    .option("--tls-port <port>", "TLS listener for agents' wss:// channels (OPENSSM_TLS_PORT, default 4511; 0 picks a free one; off)")
    .option(
      "--tls-hostname <names...>",
      "host names/IPs of the built-in CA's certificate (OPENSSM_TLS_HOSTNAMES; default localhost, 127.0.0.1, ::1, this host)",
    )
    .option("--tls-cert <file>", "your own certificate (PEM chain) for the TLS listener (OPENSSM_TLS_CERT)")
    .option("--tls-key <file>", "the key of --tls-cert (OPENSSM_TLS_KEY)")
    .option("--agent-poll-seconds <n>", "how long ec2messages GetMessages holds an empty poll (OPENSSM_AGENT_POLL_SECONDS, default 12)")
    .option(
      "--record-port-sessions",
      "record port-forwarding sessions byte for byte too (OPENSSM_RECORD_PORT_SESSIONS=1); off by default, as AWS logs only shell and command sessions",
    )
    .option(
      "--api-workers <n>",
      "extra processes that answer read-only API calls on the same port, for more throughput on several cores (OPENSSM_API_WORKERS, default 0; auto: one per CPU)",
    )
    .option("--regions <names...>", "the only regions requests may be signed for (OPENSSM_REGIONS, comma-separated; default AWS's region names)")
    .option("--account-id <id>", "12-digit id of the default account made at first start (OPENSSM_ACCOUNT_ID; default random)")
    .option("--public-url <url>", "the load balancer's address for all replicas, http(s)://host:port (OPENSSM_PUBLIC_URL; default this server's own)")
    .option("--public-tls-url <url>", "the load balancer's address for the TLS listener, https://host:port (OPENSSM_PUBLIC_TLS_URL)")
    .option(
      "--config <file>",
      "configuration file (OPENSSM_CONFIG), e.g. /etc/openssm/server.yaml: a key per flag and variable; flags beat variables, variables beat the file",
    )
    .option("--check-config", "say what is wrong with the configuration (file, values, database, master key), then exit: 0 when it is good")
    .action(async (o) => {
      const file = await applyServerConfigFile(o.config);
      const flags = {
        host: o.host,
        port: o.port,
        dataDir: o.dataDir,
        databaseUrl: o.databaseUrl,
        logLevel: o.logLevel,
        webhookUrls: o.webhook,
        testClock: o.testClock,
        tlsPort: o.tlsPort,
        tlsHostnames: o.tlsHostname,
        tlsCertFile: o.tlsCert,
        tlsKeyFile: o.tlsKey,
        agentPollSeconds: o.agentPollSeconds,
        recordPortSessions: o.recordPortSessions,
        apiWorkers: o.apiWorkers,
        regions: o.regions,
        accountId: o.accountId,
        publicUrl: o.publicUrl,
        publicTlsUrl: o.publicTlsUrl,
      };
      if (o.checkConfig) {
        const check = await (await loadOperations()).checkServerConfig(flags, file);
        for (const note of check.notes) process.stdout.write(`${note}\n`);
        for (const problem of check.problems) process.stderr.write(`problem: ${problem}\n`);
        process.stdout.write(check.problems.length ? `${check.problems.length} problem(s): the server would not run as configured\n` : "configuration OK\n");
        process.exit(check.problems.length ? 1 : 0);
      }
      if (file?.problems.length) throw new Error(`${file.problems.join("\n")}\n(openssm server --check-config says what else is wrong)`);
      const server = await startServer(flags);
      const lines = [`openssm server listening on ${server.url} (${server.services.engine})`, `account: ${server.services.defaultAccountId}`];
      lines.push(
        consoleBuilt()
          ? `console: ${server.url}${CONSOLE_PATH} (sign in with an access key: the admin's below, or an IAM user's)`
          : "console: not built; build it with `node packages/console/build.mjs` (npm install does), no restart needed",
      );
      const workers = server.workerPids();
      if (workers.length)
        lines.push(`API workers: ${workers.length} (pids ${workers.join(", ")}) answer reads on ${server.url}; everything else is passed to this process`);
      if (server.tlsUrl) {
        lines.push(`tls listening on ${server.tlsUrl} (amazon-ssm-agent: "Mgs": {"Endpoint": "${server.tlsUrl}"})`);
        if (server.caCertFile) {
          lines.push(`  CA certificate: ${server.caCertFile}`);
          lines.push(`  nodes trust it with SSL_CERT_FILE=${server.caCertFile} (amazon-ssm-agent, openssm-agent) or in the OS store (update-ca-certificates)`);
        }
      }
      if (server.credentialsFile) {
        lines.push(`admin credentials: ${server.credentialsFile} (profile "openssm")`);
        lines.push(`  export AWS_SHARED_CREDENTIALS_FILE=${server.credentialsFile}`);
        lines.push(`  aws ssm describe-parameters --profile openssm --region us-east-1 --endpoint-url ${server.url}`);
      }
      if (server.clientConfigFile) lines.push(`client config: ${server.clientConfigFile} (openssm session and command commands run here need no flags)`);
      process.stderr.write(`${lines.join("\n")}\n`);
      // Ctrl-C, or SIGTERM (from npm start, systemd, docker stop): close the listeners, the API workers
      // and storage, then exit. A second signal, or a close that hangs, ends the process at once.
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) process.exit(1);
        stopping = true;
        process.stderr.write(`openssm server: ${signal}, stopping\n`);
        setTimeout(() => process.exit(1), 15_000).unref();
        server.close().then(
          () => process.exit(0),
          (e: Error) => {
            process.stderr.write(`openssm server: stopping failed: ${e.message}\n`);
            process.exit(1);
          },
        );
      };
      for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, stop);
    });
}
