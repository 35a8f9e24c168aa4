import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { resolveConfig } from "../../packages/server/src/config.js";
import { applyConfigFile, CONFIG_KEYS, ENV_ONLY, readConfigFile } from "../../packages/server/src/operations/config-file.js";
import { repoRoot } from "../harness/paths.js";

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (e.endsWith(".ts")) out.push(readFileSync(p, "utf8"));
  }
  return out;
}

describe("the server's configuration file", () => {
  it("has a key for every flag of `openssm server` and every variable the server reads", () => {
    const command = readFileSync(join(repoRoot, "packages/cli/src/server-command.ts"), "utf8");
    const flags = [...command.matchAll(/\.option\(\s*"--([a-z-]+)/g)].map((m) => m[1]).filter((f) => f !== "config" && f !== "check-config");
    assert.ok(flags.length > 15, `found only ${flags.length} flags`);
    for (const f of flags) assert.ok(CONFIG_KEYS[f], `flag --${f} has no key in the configuration file`);
    const vars = new Set(sources(join(repoRoot, "packages/server/src")).flatMap((t) => [...t.matchAll(/\bOPENSSM_[A-Z0-9_]+\b/g)].map((m) => m[0])));
    const covered = new Set(Object.values(CONFIG_KEYS).map((k) => k.env));
    for (const v of vars) {
      if (v === "OPENSSM_CONFIG") continue;
      assert.ok(covered.has(v) || v in ENV_ONLY, `${v} has no key in the configuration file`);
    }
  });

  it("puts flags over the environment over the file, and says what is wrong with a key or value", () => {
    const dir = mkdtempSync(join(tmpdir(), "openssm-conf-"));
    try {
      const file = join(dir, "server.yaml");
      writeFileSync(file, "port: 4600\nhost: 0.0.0.0\nlog-level: debug\nregions: [eu-west-1, us-east-1]\nrecord-port-sessions: true\n");
      const env: NodeJS.ProcessEnv = { OPENSSM_HOST: "127.0.0.2" };
      const read = readConfigFile(file);
      assert.deepEqual(read.problems, []);
      applyConfigFile(read, env);
      const config = resolveConfig({ logLevel: "warn" }, env);
      assert.equal(config.port, 4600); // file
      assert.equal(config.host, "127.0.0.2"); // environment over file
      assert.equal(config.logLevel, "warn"); // flag over both
      assert.deepEqual(config.regions, ["eu-west-1", "us-east-1"]);
      assert.equal(config.recordPortSessions, true);

      writeFileSync(file, "prot: 4600\nport: lots\nmaster-key: abc\n");
      chmodSync(file, 0o644);
      const bad = readConfigFile(file).problems.join("\n");
      assert.match(bad, /unknown key 'prot' \(did you mean 'port'\?\)/);
      assert.match(bad, /'port' must be a port number from 0 to 65535; got "lots"/);
      assert.match(bad, /holds a secret but everyone may read it \(mode 644\)/);
      writeFileSync(file, "- a list\n");
      assert.throws(() => readConfigFile(file), /must hold a mapping/);
      assert.throws(() => readConfigFile(join(dir, "missing.yaml")), /cannot read the configuration file .*ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
