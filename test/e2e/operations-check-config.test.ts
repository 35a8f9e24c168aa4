import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runProcess, startServer, type TestServer, testEngine } from "../harness/index.js";
import { repoRoot, tsxArgs } from "../harness/paths.js";

/** `openssm server --check-config --config FILE` with a clean OPENSSM_* environment. */
function checkConfig(file: string, env: Record<string, string> = {}) {
  const clean = Object.fromEntries(
    Object.keys(process.env)
      .filter((k) => k.startsWith("OPENSSM_"))
      .map((k) => [k, ""]),
  );
  return runProcess(
    process.execPath,
    [...tsxArgs(), join(repoRoot, "packages/cli/src/main.ts"), "server", "--check-config", "--config", file],
    { ...clean, ...env },
    undefined,
    120_000,
    repoRoot,
  );
}

describe(`openssm server --check-config (${testEngine})`, () => {
  let server: TestServer;
  let dir: string;
  before(async () => {
    server = await startServer();
    dir = mkdtempSync(join(tmpdir(), "openssm-check-"));
  });
  after(async () => {
    await server?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes a good file and names every problem of a bad one, exiting non-zero", async () => {
    const good = join(dir, "good.yaml");
    writeFileSync(good, `port: 0\ntls-port: "off"\ndata-dir: ${server.dataDir}\ndatabase-url: ${server.databaseUrl}\nmaster-key: ${server.masterKey}\n`, {
      mode: 0o600,
    });
    const ok = await checkConfig(good);
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    assert.match(ok.stdout, /database: .* answers/);
    assert.match(ok.stdout, /configuration OK/);

    // Another key than the one the database's secrets are sealed under, and mistakes in the file.
    const bad = join(dir, "bad.yaml");
    const otherKey = randomBytes(32).toString("base64");
    writeFileSync(
      bad,
      `prot: 4510\nport: 4510\nlog-level: loud\nrecord-port-sessions: yes-please\ndata-dir: ${server.dataDir}\ndatabase-url: ${server.databaseUrl}\nmaster-key: ${otherKey}\n`,
    );
    chmodSync(bad, 0o644);
    const wrong = await checkConfig(bad);
    assert.equal(wrong.code, 1, wrong.stdout);
    assert.match(wrong.stderr, /unknown key 'prot' \(did you mean 'port'\?\)/);
    assert.match(wrong.stderr, /'record-port-sessions' must be true or false/);
    assert.match(wrong.stderr, /holds a secret but everyone may read it \(mode 644\)/);
    assert.match(wrong.stderr, /log-level must be one of fatal, error, warn, info, debug, trace, silent; got 'loud'/);
    assert.match(wrong.stderr, /the master key does not open the secrets in /);
    assert.match(wrong.stdout, /\d+ problem\(s\): the server would not run as configured/);

    // A database that does not answer and a key that is not a key; a flag-less variable beats the file.
    const down = join(dir, "down.yaml");
    writeFileSync(down, `database-url: postgres://root@127.0.0.1:1/openssm\nmaster-key: too-short\ndata-dir: ${join(dir, "data")}\n`, { mode: 0o600 });
    const unreachable = await checkConfig(down, { OPENSSM_PORT: "99999" });
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /database postgres:\/\/root@127\.0\.0\.1:1\/openssm is unreachable: .*ECONNREFUSED/);
    assert.match(unreachable.stderr, /the master key must be 32 bytes/);
    assert.match(unreachable.stderr, /port must be a port number from 0 to 65535; got '99999'/);

    // The server itself refuses to start on a file with unknown keys.
    const refused = await runProcess(
      process.execPath,
      [...tsxArgs(), join(repoRoot, "packages/cli/src/main.ts"), "server", "--config", bad],
      {},
      undefined,
      120_000,
      repoRoot,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /unknown key 'prot'/);
  });
});
