import assert from "node:assert/strict";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CreateDocumentCommand, SendCommandCommand } from "@aws-sdk/client-ssm";
import { awsCli, startServer, type TestServer } from "../harness/index.js";
import {
  type Activation,
  type AgentProcess,
  createActivation,
  fetchOutput,
  invocationDone,
  invocationsDone,
  launchAgent,
  registerAgent,
  runAgentBin,
  stopAllAgents,
} from "./agent-support.js";

/** What /etc/os-release says (the agent reports it as PlatformName / PlatformVersion). */
function osRelease(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync("/etc/os-release", "utf8").split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2].replace(/^["']|["']$/g, "");
  }
  return out;
}

describe("openssm-agent: registration, Online, Run Command over MGS and over polling", () => {
  let server: TestServer;
  let act: Activation;
  const agents: Partial<Record<"mgs" | "poll", AgentProcess>> = {};

  before(async () => {
    server = await startServer();
    act = await createActivation(server);
    for (const t of ["mgs", "poll"] as const) {
      agents[t] = await launchAgent(server, act, t, { name: `e2e-${t}`, args: ["--health-interval", "60"] });
      const tag = await awsCli(server, [
        "ssm",
        "add-tags-to-resource",
        "--resource-type",
        "ManagedInstance",
        "--resource-id",
        agents[t]!.instanceId,
        "--tags",
        `Key=Transport,Value=${t}`,
      ]);
      assert.equal(tag.code, 0, tag.stderr);
    }
  });
  after(async () => {
    await stopAllAgents(Object.values(agents).map((a) => a.dataDir));
    await server?.destroy();
  });

  test("register: a wrong code is refused with the server's InvalidActivation message; the identity is private", async () => {
    const bad = await runAgentBin([
      "register",
      "--code",
      "X".repeat(20),
      "--id",
      act.id,
      "--region",
      "us-east-1",
      "--endpoint",
      server.endpoint,
      "--data-dir",
      "/tmp/never-written",
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /InvalidActivation: The activation code does not match/);
    const dir = agents.mgs!.dataDir;
    assert.equal(statSync(join(dir, "private-key.pem")).mode & 0o777, 0o600);
    const identity = JSON.parse(readFileSync(join(dir, "identity.json"), "utf8"));
    assert.equal(identity.instanceId, agents.mgs!.instanceId);
    assert.match(identity.fingerprint, /^[0-9a-f-]{36}$/);
    const again = await runAgentBin(["register", "--code", act.code, "--id", act.id, "--endpoint", server.endpoint, "--data-dir", dir]);
    assert.equal(again.code, 1, "a data dir holding an identity is not overwritten without --force");
    assert.match(again.stderr, /already holds the identity/);
  });

  test("both nodes are Online with this machine's platform details", async () => {
    const r = await awsCli(server, ["ssm", "describe-instance-information"]);
    assert.equal(r.code, 0, r.stderr);
    const os = osRelease();
    for (const t of ["mgs", "poll"] as const) {
      const info = r.json.InstanceInformationList.find((i: { InstanceId: string }) => i.InstanceId === agents[t]!.instanceId);
      assert.ok(info, `${t} node listed`);
      assert.equal(info.PingStatus, "Online");
      assert.equal(info.PlatformType, "Linux");
      assert.equal(info.PlatformName, os.NAME);
      assert.equal(info.PlatformVersion, os.VERSION_ID);
      assert.equal(info.ComputerName, `e2e-${t}`);
      assert.equal(info.AgentVersion, "0.1.0");
      assert.equal(info.ResourceType, "ManagedInstance");
      assert.match(info.IPAddress, /^[0-9a-f.:]+$/);
    }
  });

  for (const t of ["mgs", "poll"] as const) {
    test(`${t}: AWS-RunShellScript by tag — outputs, exit codes, ListCommandInvocations --details`, async () => {
      const node = agents[t]!.instanceId;
      const ok = await awsCli(server, [
        "ssm",
        "send-command",
        "--document-name",
        "AWS-RunShellScript",
        "--targets",
        `Key=tag:Transport,Values=${t}`,
        "--parameters",
        JSON.stringify({ commands: ["echo hello from $(uname -s)", "echo to stderr >&2", 'echo "id=$SSM_COMMAND_ID"'] }),
      ]);
      assert.equal(ok.code, 0, ok.stderr);
      const okId = ok.json.Command.CommandId as string;
      assert.equal(ok.json.Command.TargetCount ?? 1, 1);
      const done = await invocationDone(server, okId, node);
      assert.equal(done.Status, "Success");
      assert.equal(done.ResponseCode, 0);
      assert.equal(done.StandardOutputContent, `hello from Linux\nid=${okId}\n`);
      assert.equal(done.StandardErrorContent, "to stderr\n");

      const failing = await server
        .ssm()
        .send(new SendCommandCommand({ DocumentName: "AWS-RunShellScript", InstanceIds: [node], Parameters: { commands: ["echo before", "exit 3"] } }));
      const failed = await invocationDone(server, failing.Command!.CommandId!, node);
      assert.equal(failed.Status, "Failed");
      assert.equal(failed.ResponseCode, 3);
      assert.equal(failed.StandardOutputContent, "before\n");
      assert.match(failed.StandardErrorContent ?? "", /failed to run commands: exit status 3/);

      const listed = await awsCli(server, ["ssm", "list-command-invocations", "--command-id", failing.Command!.CommandId!, "--details"]);
      assert.equal(listed.code, 0, listed.stderr);
      const inv = listed.json.CommandInvocations[0];
      assert.equal(inv.InstanceId, node);
      assert.equal(inv.Status, "Failed");
      assert.equal(inv.CommandPlugins.length, 1);
      const plugin = inv.CommandPlugins[0];
      assert.equal(plugin.Name, "aws:runShellScript");
      assert.equal(plugin.Status, "Failed");
      assert.equal(plugin.ResponseCode, 3);
      assert.match(plugin.Output, /^before\n\n----------ERROR-------\nfailed to run commands: exit status 3/);
    });

    test(`${t}: output streams while the command runs, long output is kept whole`, async () => {
      const node = agents[t]!.instanceId;
      const sent = await server.ssm().send(
        new SendCommandCommand({
          DocumentName: "AWS-RunShellScript",
          InstanceIds: [node],
          Parameters: { commands: ["echo first", "sleep 2", "head -c 30000 /dev/zero | tr '\\0' x", "echo", "echo last"] },
        }),
      );
      const id = sent.Command!.CommandId!;
      const running = await invocationDone(server, id, node, {
        until: (i) => i.Status === "InProgress" && (i.StandardOutputContent ?? "").startsWith("first\n"),
      });
      assert.equal(running.StandardOutputContent, "first\n");
      const done = await invocationDone(server, id, node);
      assert.equal(done.Status, "Success");
      assert.equal(done.StandardOutputContent?.length, 24_000, "GetCommandInvocation shows the first 24,000 characters, as AWS does");
      const whole = await fetchOutput(server, done.StandardOutputUrl!);
      assert.equal(whole, `first\n${"x".repeat(30_000)}\nlast\n`);
    });
  }

  test("executionTimeout stops the script: TimedOut", async () => {
    const node = agents.mgs!.instanceId;
    const sent = await server.ssm().send(
      new SendCommandCommand({
        DocumentName: "AWS-RunShellScript",
        InstanceIds: [node],
        Parameters: { commands: ["echo started", "sleep 60"], executionTimeout: ["5"] },
      }),
    );
    const done = await invocationDone(server, sent.Command!.CommandId!, node, { timeoutMs: 30_000 });
    assert.equal(done.Status, "TimedOut");
    assert.equal(done.StatusDetails, "ExecutionTimedOut");
    assert.equal(done.StandardOutputContent, "started\n");
  });

  test("schema 2.2 with preconditions, onFailure, aws:runDocument, and an exit code 194 reboot", async () => {
    const ssm = server.ssm();
    await ssm.send(
      new CreateDocumentCommand({
        Name: "e2e-Inner",
        DocumentType: "Command",
        DocumentFormat: "YAML",
        Content: [
          "schemaVersion: '2.2'",
          "description: inner",
          "parameters:",
          "  who: {type: String, default: nobody}",
          "mainSteps:",
          "- action: aws:runShellScript",
          "  name: greet",
          "  inputs:",
          "    runCommand: ['echo inner says hi to {{ who }}']",
        ].join("\n"),
      }),
    );
    const marker = join(agents.poll!.dataDir, "reboot-marker");
    // A document in a YAML file on the node: the agent's YAML parser (loaded at its first use) reads it.
    const localYaml = join(agents.poll!.dataDir, "local-doc.yaml");
    writeFileSync(
      localYaml,
      [
        "schemaVersion: '2.2'",
        "description: local",
        "mainSteps:",
        "- action: aws:runShellScript",
        "  name: local",
        "  inputs:",
        "    runCommand: ['echo from a YAML file']",
      ].join("\n"),
    );
    await ssm.send(
      new CreateDocumentCommand({
        Name: "e2e-Outer",
        DocumentType: "Command",
        Content: JSON.stringify({
          schemaVersion: "2.2",
          description: "outer",
          parameters: { name: { type: "String", default: "world" }, mode: { type: "String", default: "slow" } },
          mainSteps: [
            { action: "aws:runShellScript", name: "whenFast", precondition: { StringEquals: ["{{ mode }}", "fast"] }, inputs: { runCommand: ["echo never"] } },
            {
              action: "aws:runPowerShellScript",
              name: "powershell",
              precondition: { StringEquals: ["platformType", "Windows"] },
              inputs: { runCommand: ["Write-Host never"] },
            },
            {
              action: "aws:runShellScript",
              name: "hello",
              precondition: { StringEquals: ["platformType", "Linux"] },
              inputs: { runCommand: ["echo hello {{ name }}"] },
            },
            {
              action: "aws:runDocument",
              name: "nested",
              inputs: { documentType: "SSMDocument", documentPath: "e2e-Inner", documentParameters: '{"who":"{{ name }}"}' },
            },
            { action: "aws:runDocument", name: "localYaml", inputs: { documentType: "LocalPath", documentPath: localYaml } },
            {
              action: "aws:runShellScript",
              name: "reboot",
              inputs: { runCommand: [`if [ -f ${marker} ]; then echo after reboot; else touch ${marker}; exit 194; fi`] },
            },
            { action: "aws:runShellScript", name: "fails", inputs: { onFailure: "exit", runCommand: ["exit 2"] } },
            { action: "aws:runShellScript", name: "skipped", inputs: { runCommand: ["echo not reached"] } },
          ],
        }),
      }),
    );
    const node = agents.poll!.instanceId;
    const sent = await ssm.send(new SendCommandCommand({ DocumentName: "e2e-Outer", InstanceIds: [node], Parameters: { name: ["openssm"] } }));
    const id = sent.Command!.CommandId!;
    const [inv] = await invocationsDone(server, id);
    const plugins = Object.fromEntries((inv.CommandPlugins ?? []).map((p) => [p.Name, p]));
    assert.equal(inv.Status, "Failed");
    assert.equal(plugins.whenFast.StatusDetails, "Skipped");
    assert.match(plugins.whenFast.Output ?? "", /unsatisfied preconditions/);
    assert.equal(plugins.powershell.StatusDetails, "Skipped");
    assert.match(plugins.powershell.Output ?? "", /unsupported plugin: aws:runPowerShellScript/);
    assert.equal(plugins.hello.Status, "Success");
    assert.equal(plugins.hello.Output, "hello openssm\n");
    assert.equal(plugins.nested.Status, "Success");
    assert.equal(plugins.nested.Output, "inner says hi to openssm\n");
    assert.equal(plugins.localYaml.Status, "Success", plugins.localYaml.Output);
    assert.equal(plugins.localYaml.Output, "from a YAML file\n");
    assert.equal(plugins.reboot.Status, "Success");
    assert.equal(plugins.reboot.Output, "after reboot\n");
    assert.equal(plugins.fails.Status, "Failed");
    assert.equal(plugins.fails.ResponseCode, 2);
    assert.equal(plugins.skipped.StatusDetails, "Skipped");
  });

  test("a second agent on this machine with its own data dir registers as another node", async () => {
    const r = await registerAgent(server, act, { name: "e2e-extra", tls: false });
    assert.notEqual(r.instanceId, agents.mgs!.instanceId);
    assert.match(r.stdout, /polling/);
    rmSync(r.dataDir, { recursive: true, force: true });
  });
});
