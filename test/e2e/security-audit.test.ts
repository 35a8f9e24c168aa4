import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { GetParameterCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import { createUser, defaultAccountId, eventually, startServer, type TestServer } from "../harness/index.js";
import { openssm } from "./security-helpers.js";

interface AuditRow {
  time: string;
  requestId: string;
  accountId: string | null;
  principalArn: string | null;
  sourceIp: string;
  service: string;
  operation: string;
  parameters: Record<string, unknown>;
  errorCode: string | null;
}

describe("the audit trail: every call, who, from where, what came of it, never a secret", () => {
  let server: TestServer;
  let account: string;
  const secret = `audit-secret-${randomBytes(8).toString("hex")}`;
  let readerArn: string;

  before(async () => {
    server = await startServer();
    account = await defaultAccountId(server);
    const admin = server.ssm();
    await admin.send(new PutParameterCommand({ Name: "/audit/db/password", Value: secret, Type: "SecureString" }));
    await admin.send(new GetParameterCommand({ Name: "/audit/db/password", WithDecryption: true }));
    await assert.rejects(admin.send(new GetParameterCommand({ Name: "/audit/missing" })), { name: "ParameterNotFound" });
    const reader = await createUser(server, "audit-reader", [
      { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ssm:GetParameter", Resource: "arn:aws:ssm:*:*:parameter/public/*" }] },
    ]);
    readerArn = reader.arn;
    await assert.rejects(server.ssm(reader).send(new GetParameterCommand({ Name: "/audit/db/password" })), { name: "AccessDeniedException" });
    const stranger = server.ssm({ accessKeyId: "AKIASTRANGER00000000", secretAccessKey: "x".repeat(40) });
    await assert.rejects(stranger.send(new GetParameterCommand({ Name: "/audit/db/password" })), { name: "UnrecognizedClientException" });
  });
  after(async () => server?.destroy());

  it("records principal, operation, source IP and error code, with SecureString values as ***", async () => {
    // Records are written in batches (100 ms): poll until the last call shows.
    const rows = await eventually(
      async () => {
        const r = await openssm(server, ["audit", "--json", "--since", "-1h", "--limit", "1000"]);
        assert.equal(r.code, 0, r.stderr);
        const list = r.json as AuditRow[];
        return list.some((x) => x.errorCode === "UnrecognizedClientException") ? { list, raw: r.stdout } : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: "the audit records" },
    );
    const adminArn = `arn:aws:iam::${account}:user/admin`;
    const put = rows.list.find((r) => r.operation === "PutParameter" && r.parameters.Name === "/audit/db/password");
    assert.ok(put, rows.raw);
    assert.equal(put.principalArn, adminArn);
    assert.equal(put.accountId, account);
    assert.equal(put.service, "ssm");
    assert.equal(put.sourceIp, "127.0.0.1");
    assert.equal(put.errorCode, null);
    assert.equal(put.parameters.Value, "***");
    assert.equal(put.parameters.Type, "SecureString");
    assert.ok(!Number.isNaN(Date.parse(put.time)));

    const missing = rows.list.find((r) => r.operation === "GetParameter" && r.parameters.Name === "/audit/missing");
    assert.equal(missing?.errorCode, "ParameterNotFound");
    const denied = rows.list.find((r) => r.principalArn === readerArn);
    assert.equal(denied?.operation, "GetParameter");
    assert.equal(denied?.errorCode, "AccessDeniedException");
    assert.equal(denied?.sourceIp, "127.0.0.1");

    const refused = rows.list.find((r) => r.errorCode === "UnrecognizedClientException") as AuditRow & { accessKeyId: string | null };
    assert.equal(refused?.accessKeyId, "AKIASTRANGER00000000");
    assert.equal(refused?.principalArn, null);

    assert.ok(!rows.raw.includes(secret), "the audit trail must not hold a SecureString value");
  });

  it("filters by principal and operation, and prints a table by default", async () => {
    const byPrincipal = await openssm(server, ["audit", "--json", "--principal", "audit-reader"]);
    assert.equal(byPrincipal.code, 0, byPrincipal.stderr);
    assert.ok(byPrincipal.json.length >= 1);
    assert.ok(byPrincipal.json.every((r: AuditRow) => r.principalArn === readerArn));

    const table = await openssm(server, ["audit", "--operation", "PutParameter", "--limit", "5"]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split("\n");
    assert.match(lines[0], /^TIME\s+PRINCIPAL\s+OPERATION\s+SOURCE IP\s+RESULT\s+REQUEST ID$/);
    assert.ok(lines.slice(1).some((l) => l.includes("ssm:PutParameter") && l.includes("127.0.0.1") && l.includes("OK")));
    assert.ok(!table.stdout.includes(secret));

    const future = await openssm(server, ["audit", "--json", "--since", "2999-01-01T00:00:00Z"]);
    assert.deepEqual(future.json, []);
    const bad = await openssm(server, ["audit", "--since", "last tuesday"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since 'last tuesday' is not a time/);
  });

  it("lists the events published for the changes", async () => {
    const r = await openssm(server, ["events", "--json", "--detail-type", "Parameter Store Change"]);
    assert.equal(r.code, 0, r.stderr);
    const created = (r.json as { resources: string[]; detail: Record<string, unknown> }[]).find((e) =>
      e.resources.includes(`arn:aws:ssm:us-east-1:${account}:parameter/audit/db/password`),
    );
    assert.ok(created, r.stdout);
    assert.ok(!r.stdout.includes(secret));
  });
});
