import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GetParameterCommand, PutParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { createUser, defaultAccountId, startServer, type TestServer } from "../harness/index.js";

const ARN_ANY = "arn:aws:ssm:*:*:parameter";
const policy = (...Statement: Record<string, unknown>[]) => ({ Version: "2012-10-17", Statement });

describe("IAM policies decide every SSM call", () => {
  let server: TestServer;
  let account: string;
  const clientFor = async (name: string, statements: Record<string, unknown>[]): Promise<SSMClient> =>
    server.ssm(await createUser(server, name, [policy(...statements)]));
  const read = (client: SSMClient, Name: string) => client.send(new GetParameterCommand({ Name }));
  const denied = (p: Promise<unknown>, re?: RegExp) =>
    assert.rejects(p, (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(e.name, "AccessDeniedException", e.message);
      assert.equal(e.$metadata?.httpStatusCode, 400);
      if (re) assert.match(e.message, re);
      return true;
    });

  before(async () => {
    server = await startServer();
    account = await defaultAccountId(server);
    const admin = server.ssm();
    const puts: [string, string, Record<string, string>?][] = [
      ["/myapp/dev/x", "dev-x"],
      ["/myapp/dev/deep/y", "dev-y"],
      ["/myapp/prod/x", "prod-x"],
      ["/tagged/a", "tagged-dev", { Environment: "dev" }],
      ["/tagged/b", "tagged-prod", { Environment: "prod" }],
      ["/tagged/c", "untagged"],
      ["/secret/x", "top-secret"],
      ["/home/alice/a", "alice-a"],
      ["/home/bob/b", "bob-b"],
    ];
    for (const [Name, Value, tags] of puts) {
      await admin.send(
        new PutParameterCommand({ Name, Value, Type: "String", Tags: tags ? Object.entries(tags).map(([Key, V]) => ({ Key, Value: V })) : undefined }),
      );
    }
  });
  after(async () => server?.destroy());

  it("a user allowed only /myapp/dev/* reads there and nowhere else", async () => {
    const dev = await clientFor("dev-reader", [{ Effect: "Allow", Action: "ssm:GetParameter*", Resource: `${ARN_ANY}/myapp/dev/*` }]);
    assert.equal((await read(dev, "/myapp/dev/x")).Parameter?.Value, "dev-x");
    assert.equal((await read(dev, "/myapp/dev/deep/y")).Parameter?.Value, "dev-y");
    await denied(
      read(dev, "/myapp/prod/x"),
      new RegExp(
        `^User: arn:aws:iam::${account}:user/dev-reader is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:${account}:parameter/myapp/prod/x because no identity-based policy allows the ssm:GetParameter action$`,
      ),
    );
    await denied(dev.send(new PutParameterCommand({ Name: "/myapp/dev/new", Value: "v", Type: "String" })), /ssm:PutParameter/);
  });

  it("an ssm:resourceTag condition allows by the parameter's tag", async () => {
    const tagged = await clientFor("tag-reader", [
      { Effect: "Allow", Action: "ssm:GetParameter", Resource: "*", Condition: { StringEquals: { "ssm:resourceTag/Environment": "dev" } } },
    ]);
    assert.equal((await read(tagged, "/tagged/a")).Parameter?.Value, "tagged-dev");
    await denied(read(tagged, "/tagged/b"));
    await denied(read(tagged, "/tagged/c"));
  });

  it("an explicit Deny wins over an Allow", async () => {
    const client = await clientFor("deny-secret", [
      { Effect: "Allow", Action: "ssm:*", Resource: "*" },
      { Effect: "Deny", Action: ["ssm:GetParameter", "ssm:GetParameters"], Resource: `${ARN_ANY}/secret/*` },
    ]);
    assert.equal((await read(client, "/myapp/prod/x")).Parameter?.Value, "prod-x");
    await denied(read(client, "/secret/x"), /with an explicit deny in an identity-based policy$/);
  });

  it("${aws:username} in a Resource gives each user a home", async () => {
    const home = [{ Effect: "Allow", Action: "ssm:GetParameter", Resource: `${ARN_ANY}/home/\${aws:username}/*` }];
    const alice = await clientFor("alice", home);
    const bob = await clientFor("bob", home);
    assert.equal((await read(alice, "/home/alice/a")).Parameter?.Value, "alice-a");
    assert.equal((await read(bob, "/home/bob/b")).Parameter?.Value, "bob-b");
    await denied(read(alice, "/home/bob/b"));
    await denied(read(bob, "/home/alice/a"));
  });

  it("an aws:SourceIp condition allows 127.0.0.1/32 and not 10.0.0.0/8", async () => {
    const statement = (cidr: string) => ({ Effect: "Allow", Action: "ssm:GetParameter", Resource: "*", Condition: { IpAddress: { "aws:SourceIp": cidr } } });
    const local = await clientFor("from-localhost", [statement("127.0.0.1/32")]);
    const office = await clientFor("from-office", [statement("10.0.0.0/8")]);
    assert.equal((await read(local, "/myapp/dev/x")).Parameter?.Value, "dev-x");
    await denied(read(office, "/myapp/dev/x"));
    const outside = await clientFor("not-from-office", [
      { Effect: "Allow", Action: "ssm:*", Resource: "*" },
      { Effect: "Deny", Action: "ssm:*", Resource: "*", Condition: { NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" } } },
    ]);
    await denied(read(outside, "/myapp/dev/x"), /explicit deny/);
  });

  it("a user with no policy may do nothing", async () => {
    const nobody = server.ssm(await createUser(server, "nobody", []));
    await denied(read(nobody, "/myapp/dev/x"));
  });
});
