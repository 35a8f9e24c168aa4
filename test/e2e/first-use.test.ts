import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { rootCertificates } from "node:tls";
import { DescribeSessionsCommand, GetConnectionStatusCommand, SendCommandCommand } from "@aws-sdk/client-ssm";
import { awsCli, type Credentials, eventually, runProcess, startServer, type TestServer } from "../harness/index.js";
import { repoRoot } from "../harness/paths.js";
import { createActivation, invocationDone, registerAgent, runAgentBin, AgentProcess, stopAllAgents } from "./agent-support.js";
import { type AgentNode, cliInPty, OPENSSM_BIN, sessionIdOf, startAgent, stripAnsi, within } from "./sessions-helpers.js";

/** No AWS configuration at all: what a new user has before following the README. */
function bareEnv(home: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { HOME: home };
  for (const name of Object.keys(process.env)) if (name.startsWith("AWS_") || name.startsWith("OPENSSM_")) env[name] = undefined;
  return env;
}

/** `openssm <args>` (bin/openssm.js) with pipes, in `cwd`, to its end. */
function openssmIn(
  cwd: string,
  args: string[],
  env: Record<string, string | undefined>,
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const merged = Object.fromEntries(Object.entries({ ...process.env, ...env }).filter((e): e is [string, string] => e[1] !== undefined));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OPENSSM_BIN, ...args], { cwd, env: merged, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    if (input !== undefined) child.stdin?.end(input);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => (stdout += d));
    child.stderr?.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** The [openssm] profile the server wrote at its first start. */
function adminFromCredentialsFile(file: string): Credentials {
  const text = readFileSync(file, "utf8");
  const accessKeyId = /aws_access_key_id = (\S+)/.exec(text)?.[1];
  const secretAccessKey = /aws_secret_access_key = (\S+)/.exec(text)?.[1];
  assert.ok(accessKeyId && secretAccessKey, `no key in ${file}`);
  return { accessKeyId, secretAccessKey };
}

describe("first use: the openssm command beside the server, as the README runs it", () => {
  let started: TestServer;
  /** The same server, called with the admin key it generated into .openssm/credentials. */
  let server: TestServer;
  let node: AgentNode;
  let home: string;
  let dataDir: string;
  before(async () => {
    home = mkdtempSync(join(tmpdir(), "openssm-first-use-"));
    dataDir = join(home, ".openssm");
    // As `npm start` in `home`: the data dir is ./.openssm and the admin key is generated there.
    started = await startServer({ args: ["--data-dir", dataDir], env: { OPENSSM_ADMIN_ACCESS_KEY_ID: "", OPENSSM_ADMIN_SECRET_ACCESS_KEY: "" } });
    const admin = adminFromCredentialsFile(join(dataDir, "credentials"));
    server = Object.assign(Object.create(started) as TestServer, { admin, ssm: (creds = admin, region?: string) => started.ssm(creds, region) });
    node = await startAgent(server);
  });
  after(async () => {
    await node?.stop();
    await stopAllAgents();
    await started?.destroy();
    rmSync(home, { recursive: true, force: true });
  });

  it("the server wrote client.json: endpoint, TLS endpoint, CA, region and credentials file, no secret", () => {
    const text = readFileSync(join(dataDir, "client.json"), "utf8");
    const config = JSON.parse(text);
    assert.equal(config.endpoint, server.endpoint);
    assert.equal(config.tlsEndpoint, server.tlsEndpoint);
    assert.equal(config.caFile, server.caFile);
    assert.equal(config.region, "us-east-1");
    assert.equal(config.credentialsFile, join(dataDir, "credentials"));
    assert.equal(config.profile, "openssm");
    assert.ok(!text.includes(server.admin.secretAccessKey), "no secret in client.json");
  });

  it("`openssm session start --target mi-...` with no flags and no AWS environment opens a shell", async () => {
    const run = await cliInPty(["session", "start", "--target", node.instanceId], bareEnv(home), undefined, { cwd: home, bin: true });
    try {
      const sessionId = await sessionIdOf(run);
      run.pty.write("echo FIRST-$((6*7))\r");
      await run.waitFor("FIRST-42");
      run.pty.write("exit\r");
      assert.equal(await within(run.exited, "the session to end"), 0, stripAnsi(run.output()));
      await eventually(
        async () =>
          (await server.ssm().send(new DescribeSessionsCommand({ State: "History" }))).Sessions?.find(
            (s) => s.SessionId === sessionId && s.Status === "Terminated",
          ),
        { timeoutMs: 30_000, what: "the session in history" },
      );
    } finally {
      run.kill();
    }
  });

  it("the server's CA is trusted beside an AWS_CA_BUNDLE of public roots (commands piped in, no terminal)", async () => {
    const bundle = join(home, "public-roots.pem");
    writeFileSync(bundle, rootCertificates.join("\n"));
    const r = await openssmIn(
      home,
      ["session", "start", "--target", node.instanceId],
      { ...bareEnv(home), AWS_CA_BUNDLE: bundle },
      "echo PIPED-$((6*7))\nexit\n",
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /PIPED-42/);
    assert.match(r.stdout, /Exiting session with sessionId/);
  });

  it("a client that cannot open the stream URL (a CA that does not sign it) terminates the session it started", async () => {
    const wrongCa = join(home, "wrong-ca.pem");
    writeFileSync(wrongCa, rootCertificates[0]);
    const run = await cliInPty(["session", "start", "--target", node.instanceId, "--ca-file", wrongCa], bareEnv(home), undefined, { cwd: home, bin: true });
    try {
      const sessionId = await sessionIdOf(run);
      assert.equal(await within(run.exited, "the client to give up"), 1);
      assert.match(stripAnsi(run.output()), /OpenDataChannel: .*certificate/);
      // Terminated at once, not left Connecting (and a shell on the node) until the idle timeout.
      const history = await eventually(
        async () => (await server.ssm().send(new DescribeSessionsCommand({ State: "History" }))).Sessions?.find((s) => s.SessionId === sessionId),
        { timeoutMs: 15_000, what: "the abandoned session in history" },
      );
      assert.equal(history.Status, "Terminated");
      const active = await server.ssm().send(new DescribeSessionsCommand({ State: "Active" }));
      assert.ok(!active.Sessions?.some((s) => s.SessionId === sessionId));
    } finally {
      run.kill();
    }
  });

  it("with no client.json and no flags the command says what is missing (and never calls AWS)", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "openssm-nowhere-"));
    try {
      const r = await openssmIn(elsewhere, ["session", "start", "--target", node.instanceId], bareEnv(elsewhere));
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /no openssm server to call: .*client\.json does not exist/);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it("`openssm command output` prints a command's whole stdout and stderr (a SigV4-signed GET of its URLs)", async () => {
    const sent = await server.ssm().send(
      new SendCommandCommand({
        DocumentName: "AWS-RunShellScript",
        InstanceIds: [node.instanceId],
        Parameters: { commands: ["seq 1 12000", "seq 1 5000 >&2"] },
      }),
    );
    const commandId = String(sent.Command?.CommandId);
    const inv = await invocationDone(server, commandId, node.instanceId);
    assert.equal(inv.Status, "Success");
    const seq = (n: number) => `${Array.from({ length: n }, (_, i) => i + 1).join("\n")}\n`;
    assert.ok((inv.StandardOutputContent ?? "").length < seq(12000).length, "GetCommandInvocation gives only part of it");
    const out = await openssmIn(home, ["command", "output", "--command-id", commandId, "--instance-id", node.instanceId], bareEnv(home));
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, seq(12000));
    const err = await openssmIn(home, ["command", "output", "--command-id", commandId, "--instance-id", node.instanceId, "--stderr"], bareEnv(home));
    assert.equal(err.code, 0, err.stderr);
    assert.equal(err.stdout, seq(5000));
    const none = await openssmIn(home, ["command", "output", "--command-id", commandId, "--instance-id", "mi-00000000000000000"], bareEnv(home));
    assert.equal(none.code, 1);
    assert.match(none.stderr, /GetCommandInvocation: InvocationDoesNotExist/);
  });

  it("the README's create-document example works with the file it names", async () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const file = /--content file:\/\/(\S+)/.exec(readme)?.[1];
    assert.ok(file && existsSync(join(repoRoot, file)), `the README's document ${file} exists`);
    const r = await awsCli(server, [
      "ssm",
      "create-document",
      "--name",
      "RestartService",
      "--document-type",
      "Command",
      "--document-format",
      "YAML",
      "--content",
      `file://${file}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.DocumentDescription.Status, "Active");
    assert.deepEqual(
      r.json.DocumentDescription.Parameters.map((p: { Name: string }) => p.Name),
      ["serviceName"],
    );
  });

  it("`openssm-agent register --force` while the agent runs: the running agent switches to the new identity", async () => {
    const first = await createActivation(server, 1);
    const reg = await registerAgent(server, first, { name: "reregister" });
    const agent = new AgentProcess(reg.dataDir, reg.instanceId, "mgs").start();
    try {
      await agent.ready();
      const second = await createActivation(server, 1);
      const again = await runAgentBin([
        "register",
        "--force",
        "--code",
        second.code,
        "--id",
        second.id,
        "--region",
        server.region,
        "--endpoint",
        server.endpoint,
        "--tls-endpoint",
        server.tlsEndpoint,
        "--ca-file",
        server.caFile,
        "--data-dir",
        reg.dataDir,
      ]);
      assert.equal(again.code, 0, again.stderr);
      const newId = /registered (mi-[0-9a-f]{17})/.exec(again.stdout)?.[1] as string;
      assert.ok(newId && newId !== reg.instanceId, again.stdout);
      assert.match(again.stdout, new RegExp(`\\(pid ${agent.pid}\\) switches to ${newId}`));
      const ssm = server.ssm();
      await eventually(async () => (await ssm.send(new GetConnectionStatusCommand({ Target: newId }))).Status === "connected", {
        timeoutMs: 30_000,
        what: `the running agent to connect as ${newId}; log:\n${agent.log()}`,
      });
      await eventually(async () => (await ssm.send(new GetConnectionStatusCommand({ Target: reg.instanceId }))).Status === "notconnected", {
        timeoutMs: 30_000,
        what: "the old identity to be disconnected",
      });
      assert.equal(agent.exited, false, "the same process, not restarted");
      const sent = await ssm.send(
        new SendCommandCommand({ DocumentName: "AWS-RunShellScript", InstanceIds: [newId], Parameters: { commands: ["echo reloaded"] } }),
      );
      const done = await invocationDone(server, String(sent.Command?.CommandId), newId);
      assert.equal(done.Status, "Success");
      assert.equal(done.StandardOutputContent, "reloaded\n");
    } finally {
      await agent.stop();
      rmSync(reg.dataDir, { recursive: true, force: true });
    }
  });
});

/** Process ids of every descendant of `pid` (from /proc). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirProc()) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

function readdirProc(): string[] {
  return readdirSync("/proc").filter((e) => /^\d+$/.test(e));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function portRefuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

describe("first use: npm start stops on SIGTERM with everything it started", () => {
  it("SIGTERM to npm ends the server, its API worker and its ports", async () => {
    const dir = mkdtempSync(join(tmpdir(), "openssm-npm-start-"));
    const npm = spawn("npm", ["start"], {
      cwd: repoRoot,
      env: {
        ...process.env,
        OPENSSM_DATA_DIR: dir,
        OPENSSM_DATABASE_URL: "",
        OPENSSM_PORT: "0",
        OPENSSM_TLS_PORT: "0",
        OPENSSM_API_WORKERS: "1",
        OPENSSM_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    npm.stdout.on("data", (d) => (out += d));
    npm.stderr.on("data", (d) => (out += d));
    const exited = new Promise<number | string>((r) => npm.once("exit", (code, signal) => r(code ?? String(signal))));
    try {
      await eventually(async () => /tls listening on https:\/\/[^:]+:\d+/.test(out) && /API workers: 1/.test(out), {
        timeoutMs: 60_000,
        what: "npm start to listen",
      }).catch((e: Error) => {
        throw new Error(`${e.message}; its output:\n${out}`);
      });
      const port = Number(/listening on http:\/\/[^:]+:(\d+)/.exec(out)?.[1]);
      const tlsPort = Number(/tls listening on https:\/\/[^:]+:(\d+)/.exec(out)?.[1]);
      const started = descendants(npm.pid as number);
      assert.ok(started.length >= 2, `npm started the server and its worker (${started.join(", ")})`);
      assert.equal(await portRefuses(port), false);

      npm.kill("SIGTERM");
      await within(exited, "npm to exit", 30_000);
      await eventually(async () => started.every((pid) => !alive(pid)), {
        timeoutMs: 20_000,
        what: `every process npm started to end (${started.join(", ")})`,
      });
      assert.equal(await portRefuses(port), true, `port ${port} is free`);
      assert.equal(await portRefuses(tlsPort), true, `port ${tlsPort} is free`);
      assert.match(out, /SIGTERM, stopping/);
    } finally {
      if (npm.exitCode === null) npm.kill("SIGKILL");
      for (const pid of descendants(npm.pid as number)) process.kill(pid, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("first use: the commands from any directory after `npm link`", () => {
  it("openssm and openssm-agent run from elsewhere, tsx from the checkout, and npx finds them without the registry", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "openssm-link-"));
    const prefix = join(scratch, "prefix");
    const elsewhere = join(scratch, "elsewhere");
    mkdirSync(elsewhere);
    // A scratch HOME and global prefix: nothing outside them changes. --offline: no registry.
    const env = { HOME: scratch, npm_config_prefix: prefix, npm_config_cache: join(scratch, "npm-cache"), PATH: `${join(prefix, "bin")}:${process.env.PATH}` };
    const run = (cmd: string, args: string[], cwd: string) => runProcess(cmd, args, env, undefined, 180_000, cwd);
    try {
      const link = await run("npm", ["link", "--offline", "--no-audit", "--no-fund"], repoRoot);
      assert.equal(link.code, 0, link.stderr);
      for (const bin of ["openssm", "openssm-agent"]) {
        const direct = await run(bin, ["--version"], elsewhere);
        assert.equal(direct.code, 0, `${bin}: ${direct.stderr}`);
        assert.equal(direct.stdout.trim(), "0.1.0");
        const npx = await run("npx", ["--offline", bin, "--version"], elsewhere);
        assert.equal(npx.code, 0, `npx ${bin} fetched nothing: ${npx.stderr}`);
        assert.equal(npx.stdout.trim(), "0.1.0");
      }
      const help = await run("openssm", ["session", "start", "--help"], elsewhere);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /--endpoint-url/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
