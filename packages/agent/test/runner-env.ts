import { join } from "node:path";
import type { Logger } from "pino";
import type { CommandStore } from "../src/commands/command-store.js";
import type { RunnerEnv } from "../src/commands/document-runner.js";
import type { ReplyQueue } from "../src/transport/reply-queue.js";

/** A document runner environment for tests: a Linux node whose data lives in `dir`, running steps inline. */
export function testRunnerEnv(dir: string, parts: { log: Logger; replies: ReplyQueue; store: CommandStore; ssm?: RunnerEnv["ssm"] }): RunnerEnv {
  return {
    instanceId: "mi-0123456789abcdef0",
    region: "us-east-1",
    orchestrationRoot: join(dir, "orchestration"),
    platformType: "Linux",
    agentInfo: { lang: "en-US", name: "openssm-agent", os: "Linux", osver: "1", ver: "0.1.0" },
    replies: parts.replies,
    store: parts.store,
    ssm: parts.ssm ?? (async () => ({}) as never),
    outputIntervalMs: 100,
    inlineExecution: true,
    maxStreamChars: 1000,
    reboot: async () => false,
    ableToOpenMgs: () => undefined,
    log: parts.log as RunnerEnv["log"],
  };
}
