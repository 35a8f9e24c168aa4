import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GetParameterCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import { createUser, defaultAccountId, eventually, startServer, type Credentials, type TestServer } from "../harness/index.js";
import { dumpStorage, findLeaks, signedCall } from "./security-helpers.js";

/** One admin API call (X-Amz-Target OpenSSM.<op>), signed as the console signs it. */
const admin = (server: TestServer, op: string, input: Record<string, unknown>, creds?: Credentials) =>
  signedCall(server, `OpenSSM.${op}`, JSON.stringify(input), creds ?? server.admin);

describe("the admin API: IAM users, roles, policies and keys, the audit trail and events over signed JSON", () => {
  let server: TestServer;
  let account: string;
  let dev: Credentials;
  let devSecret: string;

  before(async () => {
    server = await startServer();
    account = await defaultAccountId(server);
  });
  after(async () => server?.destroy());

  it("an admin creates a user with a policy and a key; the key does what the policy allows and nothing else", async () => {
    const created = await admin(server, "CreateUser", { UserName: "dev-ana", Path: "/dev/", Tags: [{ Key: "team", Value: "web" }] });
    assert.equal(created.status, 200, created.text);
    const user = created.body.User as Record<string, unknown>;
    assert.equal(user.Arn, `arn:aws:iam::${account}:user/dev/dev-ana`);
    assert.match(String(user.UserId), /^AIDA[A-Z0-9]{17}$/);
    assert.equal(typeof user.CreateDate, "number");
    assert.deepEqual(user.Tags, [{ Key: "team", Value: "web" }]);

    const again = await admin(server, "CreateUser", { UserName: "dev-ana" });
    assert.equal(again.type, "EntityAlreadyExists");
    const badName = await admin(server, "CreateUser", { UserName: "no spaces" });
    assert.equal(badName.type, "ValidationException");
    assert.match(String(badName.body.message), /userName/);

    const policy = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["ssm:GetParameter", "ssm:PutParameter"], Resource: "arn:aws:ssm:*:*:parameter/dev/*" }],
    };
    const put = await admin(server, "PutUserPolicy", { UserName: "dev-ana", PolicyName: "dev-params", PolicyDocument: JSON.stringify(policy) });
    assert.equal(put.status, 200, put.text);
    const malformed = await admin(server, "PutUserPolicy", {
      UserName: "dev-ana",
      PolicyName: "bad",
      PolicyDocument: '{"Statement":[{"Effect":"Allwo","Action":"*","Resource":"*"}]}',
    });
    assert.equal(malformed.type, "MalformedPolicyDocument", malformed.text);
    const missing = await admin(server, "PutUserPolicy", { UserName: "nobody", PolicyName: "p", PolicyDocument: JSON.stringify(policy) });
    assert.equal(missing.type, "NoSuchEntity");

    const names = await admin(server, "ListUserPolicies", { UserName: "dev-ana" });
    assert.deepEqual(names.body.PolicyNames, ["dev-params"]);
    const got = await admin(server, "GetUserPolicy", { UserName: "dev-ana", PolicyName: "dev-params" });
    assert.deepEqual(JSON.parse(String(got.body.PolicyDocument)), policy);

    const key = await admin(server, "CreateAccessKey", { UserName: "dev-ana" });
    assert.equal(key.status, 200, key.text);
    const ak = key.body.AccessKey as Record<string, string>;
    assert.match(ak.AccessKeyId, /^AKIA[A-Z2-7]{16}$/);
    assert.equal(ak.SecretAccessKey.length, 40);
    dev = { accessKeyId: ak.AccessKeyId, secretAccessKey: ak.SecretAccessKey };
    devSecret = ak.SecretAccessKey;
    const listed = await admin(server, "ListAccessKeys", { UserName: "dev-ana" });
    const meta = listed.body.AccessKeyMetadata as Record<string, unknown>[];
    assert.deepEqual(
      meta.map((k) => [k.UserName, k.AccessKeyId, k.Status]),
      [["dev-ana", dev.accessKeyId, "Active"]],
    );
    assert.equal(JSON.stringify(listed.body).includes(devSecret), false, "the secret is answered only once");

    const ssm = server.ssm(dev);
    await ssm.send(new PutParameterCommand({ Name: "/dev/api-url", Value: "http://dev", Type: "String" }));
    assert.equal((await ssm.send(new GetParameterCommand({ Name: "/dev/api-url" }))).Parameter?.Value, "http://dev");
    await assert.rejects(ssm.send(new PutParameterCommand({ Name: "/prod/api-url", Value: "x", Type: "String" })), { name: "AccessDeniedException" });
    // Its policy grants no iam:* action: the admin API refuses it, whatever the user exists or not.
    const denied = await admin(server, "CreateUser", { UserName: "sneaky" }, dev);
    assert.equal(denied.type, "AccessDeniedException", denied.text);
    assert.match(String(denied.body.message), /iam:CreateUser/);
    assert.equal((await admin(server, "ListUsers", {}, dev)).type, "AccessDeniedException");
    assert.equal((await admin(server, "GetUser", { UserName: "nobody" }, dev)).type, "AccessDeniedException");
    assert.equal((await admin(server, "LookupAuditEvents", {}, dev)).type, "AccessDeniedException");
    assert.equal((await admin(server, "ListEvents", {}, dev)).type, "AccessDeniedException");
    // GetUser without a name is the caller: allowed once the policy says so for its own ARN.
    const self = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:GetUser", Resource: "arn:aws:iam::*:user/dev/${aws:username}" }] };
    assert.equal((await admin(server, "PutUserPolicy", { UserName: "dev-ana", PolicyName: "self", PolicyDocument: JSON.stringify(self) })).status, 200);
    const me = await admin(server, "GetUser", {}, dev);
    assert.equal(me.status, 200, me.text);
    assert.equal((me.body.User as Record<string, unknown>).UserName, "dev-ana");

    // Deactivating the key refuses it at once on this server.
    assert.equal((await admin(server, "UpdateAccessKey", { UserName: "dev-ana", AccessKeyId: dev.accessKeyId, Status: "Inactive" })).status, 200);
    await assert.rejects(ssm.send(new GetParameterCommand({ Name: "/dev/api-url" })), { name: "UnrecognizedClientException" });
    assert.equal((await admin(server, "UpdateAccessKey", { UserName: "dev-ana", AccessKeyId: dev.accessKeyId, Status: "Active" })).status, 200);
    assert.equal((await ssm.send(new GetParameterCommand({ Name: "/dev/api-url" }))).Parameter?.Value, "http://dev");

    // IAM refuses to delete a user that still has keys or policies.
    const conflict = await admin(server, "DeleteUser", { UserName: "dev-ana" });
    assert.equal(conflict.type, "DeleteConflict", conflict.text);
    assert.equal((await admin(server, "DeleteAccessKey", { AccessKeyId: dev.accessKeyId, UserName: "other" })).type, "NoSuchEntity");
  });

  it("lists users and roles with IAM's Marker paging, and manages a role's trust and inline policies", async () => {
    for (const n of ["page-a", "page-b", "page-c"]) assert.equal((await admin(server, "CreateUser", { UserName: n, Path: "/paging/" })).status, 200);
    const first = await admin(server, "ListUsers", { PathPrefix: "/paging/", MaxItems: 2 });
    assert.deepEqual(
      (first.body.Users as Record<string, string>[]).map((u) => u.UserName),
      ["page-a", "page-b"],
    );
    assert.equal(first.body.IsTruncated, true);
    const second = await admin(server, "ListUsers", { PathPrefix: "/paging/", MaxItems: 2, Marker: first.body.Marker });
    assert.deepEqual(
      (second.body.Users as Record<string, string>[]).map((u) => u.UserName),
      ["page-c"],
    );
    assert.equal(second.body.IsTruncated, false);
    assert.equal((await admin(server, "ListUsers", { PathPrefix: "/other/", Marker: first.body.Marker })).type, "InvalidNextToken");
    assert.equal((await admin(server, "DeleteUser", { UserName: "page-c" })).status, 200);
    assert.equal((await admin(server, "GetUser", { UserName: "page-c" })).type, "NoSuchEntity");

    const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ssm.amazonaws.com" }, Action: "sts:AssumeRole" }] };
    const noTrust = await admin(server, "CreateRole", { RoleName: "automation" });
    assert.equal(noTrust.type, "ValidationException");
    const role = await admin(server, "CreateRole", { RoleName: "automation", Path: "/service/", AssumeRolePolicyDocument: JSON.stringify(trust) });
    assert.equal(role.status, 200, role.text);
    assert.equal((role.body.Role as Record<string, unknown>).Arn, `arn:aws:iam::${account}:role/service/automation`);
    const read = await admin(server, "GetRole", { RoleName: "automation" });
    assert.deepEqual(JSON.parse(String((read.body.Role as Record<string, unknown>).AssumeRolePolicyDocument)), trust);
    const rolePolicy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ssm:*", Resource: "*" }] };
    assert.equal((await admin(server, "PutRolePolicy", { RoleName: "automation", PolicyName: "ssm", PolicyDocument: JSON.stringify(rolePolicy) })).status, 200);
    const roles = await admin(server, "ListRoles", {});
    assert.deepEqual(
      (roles.body.Roles as Record<string, string>[]).map((r) => r.RoleName),
      ["automation"],
    );
    assert.equal((await admin(server, "TagRole", { RoleName: "automation", Tags: [{ Key: "owner", Value: "ops" }] })).status, 200);
    assert.deepEqual((await admin(server, "ListRoleTags", { RoleName: "automation" })).body.Tags, [{ Key: "owner", Value: "ops" }]);
    assert.equal((await admin(server, "DeleteRole", { RoleName: "automation" })).type, "DeleteConflict");
    assert.equal((await admin(server, "DeleteRolePolicy", { RoleName: "automation", PolicyName: "ssm" })).status, 200);
    assert.equal((await admin(server, "DeleteRole", { RoleName: "automation" })).status, 200);
  });

  it("looks up the audit trail by who, what, when and outcome, newest first and paged; never a secret", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const auditor = await createUser(server, "auditor", [
      { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["openssm:LookupAuditEvents", "openssm:ListEvents"], Resource: "*" }] },
    ]);
    const look = (input: Record<string, unknown>) => admin(server, "LookupAuditEvents", input, auditor);
    const denied = await eventually(
      async () => {
        const r = await look({ Principal: "dev-ana", Operation: "CreateUser", Outcome: "Failure" });
        assert.equal(r.status, 200, r.text);
        const events = r.body.Events as Record<string, unknown>[];
        return events.length > 0 ? events : undefined;
      },
      { what: "dev-ana's refused CreateUser in the audit trail" },
    );
    assert.equal(denied[0].ErrorCode, "AccessDeniedException");
    assert.equal(denied[0].Service, "openssm");
    assert.match(String(denied[0].PrincipalArn), /:user\/dev\/dev-ana$/);
    assert.equal(JSON.parse(String(denied[0].Parameters)).UserName, "sneaky");

    const ok = await look({ Principal: "dev-ana", Operation: "PutParameter", Outcome: "Success" });
    const okEvents = ok.body.Events as Record<string, unknown>[];
    assert.equal(okEvents.length, 1, ok.text);
    assert.equal(okEvents[0].ErrorCode, undefined);
    const failed = await look({ Principal: "dev-ana", Operation: "PutParameter", Outcome: "Failure" });
    assert.deepEqual(
      (failed.body.Events as Record<string, unknown>[]).map((e) => e.ErrorCode),
      ["AccessDeniedException"],
    );
    // Time range: nothing of dev-ana's before the suite started, everything since.
    assert.deepEqual((await look({ Principal: "dev-ana", EndTime: 1_000_000 })).body.Events, []);
    const window = await look({ Principal: "dev-ana", StartTime: since - 600, EndTime: since + 3600 });
    assert.ok((window.body.Events as unknown[]).length >= 4);
    assert.equal((await look({ StartTime: 2_000_000_000, EndTime: 1_000_000_000 })).type, "ValidationException");

    // Pages, newest first, neither repeating nor skipping a record.
    const all: string[] = [];
    let token: unknown;
    let pages = 0;
    do {
      const r = await look({ Principal: "admin", Service: "openssm", MaxResults: 3, ...(token ? { NextToken: token } : {}) });
      assert.equal(r.status, 200, r.text);
      const events = r.body.Events as Record<string, unknown>[];
      all.push(...events.map((e) => String(e.EventId)));
      const times = events.map((e) => Number(e.EventTime));
      assert.deepEqual(
        times,
        [...times].sort((a, b) => b - a),
      );
      token = r.body.NextToken;
      pages++;
    } while (token && pages < 50);
    assert.ok(pages > 2, `paged ${pages} times`);
    assert.equal(new Set(all).size, all.length);
    const whole = await look({ Principal: "admin", Service: "openssm", MaxResults: 1000 });
    assert.deepEqual(
      (whole.body.Events as Record<string, unknown>[]).map((e) => e.EventId),
      all,
    );
    // The key's secret was answered once and recorded nowhere.
    const trail = JSON.stringify((await look({ Operation: "CreateAccessKey", MaxResults: 1000 })).body);
    assert.deepEqual(findLeaks(trail, [devSecret]), []);
    assert.deepEqual(findLeaks(await dumpStorage(server.databaseUrl), [devSecret]), []);
  });

  it("lists the account's events, newest first, filtered by detail-type", async () => {
    const r = await admin(server, "ListEvents", { DetailType: "Parameter Store Change", MaxResults: 1 });
    assert.equal(r.status, 200, r.text);
    const events = r.body.Events as Record<string, unknown>[];
    assert.equal(events.length, 1);
    assert.equal(events[0].DetailType, "Parameter Store Change");
    assert.equal(JSON.parse(String(events[0].Detail)).name, "/dev/api-url");
    assert.ok(r.body.NextToken === undefined || typeof r.body.NextToken === "string");
    const unknown = await admin(server, "ListEvents", { DetailType: "No Such Type" });
    assert.deepEqual(unknown.body.Events, []);
    assert.equal((await admin(server, "NoSuchOperation", {})).type, "UnknownOperationException");
  });
});
