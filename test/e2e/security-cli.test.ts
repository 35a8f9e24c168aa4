import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { GetParameterCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import { awsCli, eventually, runProcess, startServer, type TestServer } from "../harness/index.js";
import { openssm } from "./security-helpers.js";

describe("openssm iam: users, policies and access keys from the command line", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
    const admin = server.ssm();
    await admin.send(new PutParameterCommand({ Name: "/cli/dev/x", Value: "dev-value", Type: "String" }));
    await admin.send(new PutParameterCommand({ Name: "/cli/prod/x", Value: "prod-value", Type: "String" }));
  });
  after(async () => server?.destroy());

  it("creates a user with a policy and a key that the aws CLI uses, until the key is deactivated", async () => {
    const user = await openssm(server, ["iam", "create-user", "--user-name", "carol", "--tags", "Team=ops", "SSMSessionRunAs=carol"]);
    assert.equal(user.code, 0, user.stderr);
    assert.equal(user.json.User.UserName, "carol");
    assert.match(user.json.User.Arn, /^arn:aws:iam::\d{12}:user\/carol$/);
    assert.match(user.json.User.UserId, /^AIDA[A-Z0-9]{17}$/);
    assert.deepEqual(user.json.User.Tags, [
      { Key: "Team", Value: "ops" },
      { Key: "SSMSessionRunAs", Value: "carol" },
    ]);

    const doc = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ssm:GetParameter", Resource: "arn:aws:ssm:*:*:parameter/cli/dev/*" }] };
    const file = join(server.dataDir, "carol-policy.json");
    writeFileSync(file, JSON.stringify(doc));
    const put = await openssm(server, ["iam", "put-user-policy", "--user-name", "carol", "--policy-name", "read-dev", "--policy-document", `file://${file}`]);
    assert.equal(put.code, 0, put.stderr);
    assert.equal(put.stdout, "");

    // --credentials-profile adds the key to the data dir's credentials file (the README's AWS_SHARED_CREDENTIALS_FILE), mode 0600.
    const key = await openssm(server, ["iam", "create-access-key", "--user-name", "carol", "--credentials-profile", "carol"], {
      AWS_SHARED_CREDENTIALS_FILE: "",
    });
    assert.equal(key.code, 0, key.stderr);
    const credentialsFile = join(server.dataDir, "credentials");
    assert.match(key.stdout, new RegExp(`added profile \\[carol\\] \\(AKIA[A-Z0-9]{16}, .*\\) to ${credentialsFile}`));
    assert.doesNotMatch(key.stdout, /aws_secret_access_key/);
    assert.equal(statSync(credentialsFile).mode & 0o777, 0o600);
    const written = readFileSync(credentialsFile, "utf8");
    const id = /aws_access_key_id = (AKIA[A-Z0-9]{16})/.exec(written)?.[1];
    const secret = /aws_secret_access_key = (\S{40})/.exec(written)?.[1];
    assert.ok(id && secret, written);
    assert.match(written, /^\[carol\]$/m);
    const creds = { accessKeyId: id, secretAccessKey: secret };
    // The aws CLI finds the profile where the README points AWS_SHARED_CREDENTIALS_FILE.
    const aws = process.env.OPENSSM_TEST_AWS_CLI ?? "/usr/bin/aws";
    const byProfile = await runProcess(
      "env",
      ["-u", "AWS_ACCESS_KEY_ID", "-u", "AWS_SECRET_ACCESS_KEY", "-u", "AWS_SESSION_TOKEN", "-u", "AWS_PROFILE", aws, "sts", "get-caller-identity"].concat([
        "--profile",
        "carol",
        "--endpoint-url",
        server.endpoint,
        "--region",
        "us-east-1",
        "--output",
        "json",
      ]),
      { AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_CONFIG_FILE: "/dev/null" },
    );
    assert.equal(byProfile.code, 0, byProfile.stderr);
    assert.equal(JSON.parse(byProfile.stdout).Arn, user.json.User.Arn);
    // A second key under the same profile name is refused before it is made; `-` prints the profile instead.
    const again = await openssm(server, ["iam", "create-access-key", "--user-name", "carol", "--credentials-profile", "carol"], {
      AWS_SHARED_CREDENTIALS_FILE: "",
    });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already has a profile \[carol\]/);
    const printed = await openssm(server, ["iam", "create-access-key", "--user-name", "carol", "--credentials-profile", "carol2", "--credentials-file", "-"]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /^\[carol2\]\naws_access_key_id = AKIA/m);
    const printedId = /aws_access_key_id = (AKIA[A-Z0-9]{16})/.exec(printed.stdout)?.[1] as string;
    assert.equal((await openssm(server, ["iam", "delete-access-key", "--access-key-id", printedId])).code, 0);

    const who = await awsCli(server, ["sts", "get-caller-identity"], { creds });
    assert.equal(who.code, 0, who.stderr);
    assert.equal(who.json.Arn, user.json.User.Arn);
    const ok = await awsCli(server, ["ssm", "get-parameter", "--name", "/cli/dev/x"], { creds });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.json.Parameter.Value, "dev-value");
    const no = await awsCli(server, ["ssm", "get-parameter", "--name", "/cli/prod/x"], { creds });
    assert.notEqual(no.code, 0);
    assert.match(no.stderr, /AccessDeniedException/);

    const off = await openssm(server, ["iam", "update-access-key", "--access-key-id", id, "--status", "Inactive", "--user-name", "carol"]);
    assert.equal(off.code, 0, off.stderr);
    // The server caches resolved keys for OPENSSM_CREDENTIAL_CACHE_SECONDS (2 s).
    const client = server.ssm(creds);
    await eventually(
      async () => {
        try {
          await client.send(new GetParameterCommand({ Name: "/cli/dev/x" }));
          return false;
        } catch (e) {
          return (e as Error).name === "UnrecognizedClientException";
        }
      },
      { timeoutMs: 10_000, intervalMs: 250, what: "the deactivated key to be refused" },
    );
    const refused = await awsCli(server, ["ssm", "get-parameter", "--name", "/cli/dev/x"], { creds });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /UnrecognizedClientException/);

    const keys = await openssm(server, ["iam", "list-access-keys", "--user-name", "carol"]);
    assert.equal(keys.code, 0, keys.stderr);
    assert.deepEqual(
      keys.json.AccessKeyMetadata.map((k: Record<string, string>) => [k.UserName, k.AccessKeyId, k.Status]),
      [["carol", id, "Inactive"]],
    );
  });

  it("refuses malformed policies (exit 2) and unknown users (exit 1) with clear messages", async () => {
    const policy = '{"Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"StringEqualz":{"a":"b"}}}]}';
    const [bad, missing, wrongKey] = await Promise.all([
      openssm(server, ["iam", "put-user-policy", "--user-name", "carol", "--policy-name", "p", "--policy-document", policy]),
      openssm(server, ["iam", "create-access-key", "--user-name", "nobody-here"]),
      openssm(server, ["iam", "create-access-key", "--user-name", "carol"], { OPENSSM_MASTER_KEY: Buffer.alloc(32, 7).toString("base64") }),
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /MalformedPolicyDocument: Statement 1: unknown condition operator StringEqualz/);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /NoSuchEntity: the user with name nobody-here cannot be found/);
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /does not open the secrets in this database/);
  });

  it("manages roles, their policies and accounts, shaped like the IAM CLI's output", async () => {
    const [role, account] = await Promise.all([
      openssm(server, ["iam", "create-role", "--role-name", "ssm-node", "--path", "/service/"]),
      openssm(server, ["iam", "create-account", "--account-id", "222233334444", "--name", "staging"]),
    ]);
    assert.equal(role.code, 0, role.stderr);
    assert.match(role.json.Role.Arn, /^arn:aws:iam::\d{12}:role\/service\/ssm-node$/);
    assert.match(role.json.Role.RoleId, /^AROA/);
    assert.equal(account.code, 0, account.stderr);
    assert.deepEqual([account.json.Account.Id, account.json.Account.Name], ["222233334444", "staging"]);
    const doc = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:UpdateInstanceInformation","Resource":"*"}]}';
    const [put, other] = await Promise.all([
      openssm(server, ["iam", "put-role-policy", "--role-name", "ssm-node", "--policy-name", "core", "--policy-document", doc]),
      openssm(server, ["iam", "create-user", "--user-name", "carol", "--account-id", "222233334444"]),
    ]);
    assert.equal(put.code, 0, put.stderr);
    assert.equal(other.code, 0, other.stderr);
    assert.equal(other.json.User.Arn, "arn:aws:iam::222233334444:user/carol");
    const got = await openssm(server, ["iam", "get-role-policy", "--role-name", "ssm-node", "--policy-name", "core"]);
    assert.deepEqual(got.json, { RoleName: "ssm-node", PolicyName: "core", PolicyDocument: JSON.parse(doc) });
  });
});
