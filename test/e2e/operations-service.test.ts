import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { GetParameterCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { createDatabase, runProcess, testEngine } from "../harness/index.js";
import { repoRoot } from "../harness/paths.js";

/** A unit file's [Service] settings; repeated keys keep every value. */
function unitSettings(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) section = s[1];
    else if (section === "Service") {
      const i = line.indexOf("=");
      (out[line.slice(0, i)] ??= []).push(line.slice(i + 1));
    }
  }
  return out;
}

/** A unit's command line split as systemd splits it (words, double or single quotes). */
function commandWords(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

// systemd is not this machine's init (no /run/systemd/system: tests run in a container), so systemctl
// cannot start a unit here. The test does what systemd would: runs the installed unit's ExecStartPre and
// ExecStart command lines, as the unit's User and Group, in its WorkingDirectory, with its Environment.
describe(`the server installed as a service (${testEngine})`, () => {
  const root = userInfo().uid === 0;
  let prefix: string;
  let db: { url: string; drop(): Promise<void> } | undefined;
  let child: ChildProcess | undefined;
  before(() => {
    prefix = mkdtempSync(join(tmpdir(), "openssm-service-"));
    chmodSync(prefix, 0o755);
  });
  after(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await db?.drop();
    rmSync(prefix, { recursive: true, force: true });
  });

  it("installs with one step and serves from the unit's own start command, as an unprivileged user", { skip: !root && "install.sh needs root" }, async () => {
    const dirs = {
      prefix: join(prefix, "opt/openssm"),
      bin: join(prefix, "bin"),
      config: join(prefix, "etc/openssm"),
      data: join(prefix, "var/lib/openssm"),
      unit: join(prefix, "etc/systemd/system"),
    };
    // `nobody` stands for the openssm user: it exists on every Debian and RHEL host, so the test creates
    // no account on the machine it runs on (install.sh creates `openssm` by default).
    const install = await runProcess(
      "sh",
      [
        join(repoRoot, "packages/server/service/install.sh"),
        "--user",
        "nobody",
        "--prefix",
        dirs.prefix,
        "--bin-dir",
        dirs.bin,
        "--config-dir",
        dirs.config,
        "--data-dir",
        dirs.data,
        "--unit-dir",
        dirs.unit,
        "--node-modules-from",
        join(repoRoot, "node_modules"),
        "--no-start",
      ],
      {},
      undefined,
      240_000,
    );
    assert.equal(install.code, 0, install.stderr + install.stdout);
    assert.match(install.stdout, /configuration OK/);

    const unitFile = join(dirs.unit, "openssm.service");
    const unit = unitSettings(readFileSync(unitFile, "utf8"));
    assert.deepEqual(unit.User, ["nobody"]);
    if (existsSync("/usr/bin/systemd-analyze")) {
      const verify = await runProcess("systemd-analyze", ["verify", unitFile], {}, undefined, 60_000);
      assert.equal(verify.code, 0, verify.stderr);
    }

    // The operator's settings: here a free port, the TLS listener off, this run's engine, an admin key.
    const configFile = join(dirs.config, "server.yaml");
    assert.equal(statSync(configFile).mode & 0o777, 0o640);
    const admin = { accessKeyId: `AKIASVC${randomBytes(6).toString("hex").toUpperCase()}`, secretAccessKey: randomBytes(20).toString("hex") };
    let settings = readFileSync(configFile, "utf8")
      .replace(/^port: .*$/m, "port: 0")
      .replace(/^tls-port: .*$/m, 'tls-port: "off"')
      .replace(/^host: .*$/m, "host: 127.0.0.1");
    settings += `admin-access-key-id: ${admin.accessKeyId}\nadmin-secret-access-key: ${admin.secretAccessKey}\n`;
    if (testEngine === "postgres") {
      db = await createDatabase();
      settings += `database-url: ${db.url}\n`;
    }
    writeFileSync(configFile, settings);

    const user = unit.User[0];
    const group = unit.Group[0];
    const asUnit = (line: string) => {
      const words = commandWords(line);
      const env: Record<string, string> = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };
      for (const e of unit.Environment ?? []) for (const w of commandWords(e)) env[w.slice(0, w.indexOf("="))] = w.slice(w.indexOf("=") + 1);
      return {
        args: [`--reuid=${user}`, `--regid=${group}`, "--init-groups", ...words],
        opts: { cwd: unit.WorkingDirectory[0], env },
      };
    };

    const pre = asUnit(unit.ExecStartPre[0]);
    const checked = await runProcess("setpriv", pre.args, {}, undefined, 120_000, pre.opts.cwd);
    assert.equal(checked.code, 0, checked.stderr + checked.stdout);

    const start = asUnit(unit.ExecStart[0]);
    const proc = spawn("setpriv", start.args, { cwd: start.opts.cwd, env: start.opts.env, stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    let journal = "";
    const endpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the service did not start within 120 s:\n${journal}`)), 120_000);
      const onData = (d: Buffer) => {
        journal += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(journal);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      proc.stdout?.on("data", onData);
      proc.stderr?.on("data", onData);
      proc.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the service exited with ${code}:\n${journal}`));
      });
    });

    const ssm = new SSMClient({ endpoint, region: "us-east-1", credentials: admin, maxAttempts: 1 });
    await ssm.send(new PutParameterCommand({ Name: "/service/secret", Value: "from-the-service", Type: "SecureString" }));
    const got = await ssm.send(new GetParameterCommand({ Name: "/service/secret", WithDecryption: true }));
    assert.equal(got.Parameter?.Value, "from-the-service");

    // Its files belong to the service's user, readable by nobody else; its logs are on stdout (the journal).
    const nobody = statSync(dirs.data).uid;
    for (const f of ["master.key", ...(testEngine === "sqlite" ? ["openssm.db"] : [])]) {
      const s = statSync(join(dirs.data, f));
      assert.equal(s.uid, nobody, f);
      assert.equal(s.mode & 0o077, 0, `${f} mode ${(s.mode & 0o777).toString(8)}`);
    }
    assert.notEqual(nobody, 0);
    assert.match(journal, /"msg":"openssm listening"/);

    // systemctl stop: SIGTERM, and the server exits cleanly.
    const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
    proc.kill("SIGTERM");
    assert.equal(await exited, 0);
  });
});
