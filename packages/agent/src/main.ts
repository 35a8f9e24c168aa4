#!/usr/bin/env node
import { Command, InvalidArgumentError } from "commander";
import { registerCommand } from "./cli/register-command.js";
import { runCommand } from "./cli/run-command.js";
import { statusCommand } from "./cli/status-command.js";
import { AGENT_VERSION } from "./version.js";

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive integer");
  return n;
}

const program = new Command()
  .name("openssm-agent")
  .description("The openssm agent: registers this machine as a managed node and runs Run Command documents sent to it.")
  .version(AGENT_VERSION);

program
  .command("register")
  .description("register this machine with a hybrid activation (CreateActivation's ActivationCode and ActivationId)")
  .requiredOption("--code <code>", "activation code")
  .requiredOption("--id <id>", "activation id")
  .option("--region <region>", "region of the activation (default: $AWS_REGION or us-east-1)")
  .requiredOption("--endpoint <url>", "the openssm server's API endpoint, e.g. http://127.0.0.1:4510")
  .option("--tls-endpoint <url>", "the server's TLS endpoint for the control channel (MGS), e.g. https://127.0.0.1:4511; default: --endpoint when it is https")
  .option("--ca-file <pem>", "CA certificate that signed the server's TLS certificate (the server prints its path; default $SSL_CERT_FILE)")
  .option("--data-dir <dir>", "where the identity is kept (default: $OPENSSM_AGENT_DATA_DIR, /var/lib/openssm as root, else ~/.local/state/openssm-agent)")
  .option("--name <name>", "computer name to report instead of the host name (several agents on one machine)")
  .option("--force", "register again even if the data dir already holds an identity")
  .action(registerCommand);

program
  .command("run")
  .description("run the agent service (foreground): keep the node online and run the commands sent to it")
  .option("--data-dir <dir>", "data dir holding the identity (as given to register)")
  .option(
    "--transport <mode>",
    "auto (control channel, polling while it is down), mgs (control channel only) or poll (ec2messages only)",
    process.env.OPENSSM_AGENT_TRANSPORT ?? "auto",
  )
  .option("--ca-file <pem>", "override the CA certificate stored at registration")
  .option("--tls-endpoint <url>", "override the TLS endpoint stored at registration")
  .option("--log-level <level>", "trace, debug, info, warn, error", process.env.OPENSSM_AGENT_LOG_LEVEL ?? "info")
  .option("--health-interval <seconds>", "seconds between UpdateInstanceInformation calls", positiveInt, 300)
  .option("--output-interval <ms>", "milliseconds between streamed output replies of a running command", positiveInt, 1000)
  .option("--max-concurrent <n>", "commands that run at the same time", positiveInt, 5)
  .option(
    "--reboot-command <command>",
    "command that reboots the machine when a step exits 194 (3010 on Windows), e.g. '/sbin/shutdown -r +1' (the systemd unit's); without it the step runs again at once, as after a reboot",
  )
  .action(runCommand);

program
  .command("status")
  .description("print this node's identity and what the agent keeps in its data dir")
  .option("--data-dir <dir>", "data dir holding the identity")
  .action(statusCommand);

program.parseAsync(process.argv).catch((e) => {
  process.stderr.write(`openssm-agent: ${(e as Error).message}\n`);
  process.exit(1);
});
