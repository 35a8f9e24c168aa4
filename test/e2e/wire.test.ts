import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { GetParameterCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { type RequestToSign, signHmac } from "@openssm/protocol";
import { awsCli, boto3, startServer, type TestServer } from "../harness/index.js";

describe("wire protocol and signatures", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => server?.destroy());

  const post = (headers: Record<string, string>, body = "{}") => fetch(server.endpoint, { method: "POST", headers, body });

  it("answers health", async () => {
    const res = await fetch(`${server.endpoint}/health`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).engine, server.engine);
  });

  it("rejects a request with no signature as MissingAuthenticationTokenException", async () => {
    const res = await post({ "content-type": "application/x-amz-json-1.1", "x-amz-target": "AmazonSSM.GetParameter" });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get("x-amzn-errortype"), "MissingAuthenticationTokenException");
    assert.ok(res.headers.get("x-amzn-requestid"));
    assert.equal((await res.json()).__type, "MissingAuthenticationTokenException");
  });

  it("rejects a malformed Authorization header as IncompleteSignatureException", async () => {
    const res = await post({ "x-amz-target": "AmazonSSM.GetParameter", authorization: "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/ssm/aws4_request" });
    assert.equal((await res.json()).__type, "IncompleteSignatureException");
  });

  it("answers UnknownOperationException for a target that is not an SSM operation", async () => {
    const res = await post({ "x-amz-target": "AmazonSSM.MakeCoffee" });
    assert.equal((await res.json()).__type, "UnknownOperationException");
  });

  it("rejects an unknown access key, a wrong secret and an expired date", async () => {
    const unknown = new SSMClient({
      endpoint: server.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIANOSUCHKEY0000000", secretAccessKey: "x" },
      maxAttempts: 1,
    });
    await assert.rejects(unknown.send(new GetParameterCommand({ Name: "x" })), { name: "UnrecognizedClientException" });
    const wrong = new SSMClient({
      endpoint: server.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: server.admin.accessKeyId, secretAccessKey: "wrong" },
      maxAttempts: 1,
    });
    await assert.rejects(wrong.send(new GetParameterCommand({ Name: "x" })), { name: "InvalidSignatureException" });
    const late = new SSMClient({
      endpoint: server.endpoint,
      region: "us-east-1",
      credentials: server.admin,
      maxAttempts: 1,
      systemClockOffset: -20 * 60 * 1000,
    });
    await assert.rejects(late.send(new GetParameterCommand({ Name: "x" })), (e: Error) => e.name === "InvalidSignatureException" && /expired/.test(e.message));
  });

  it("rejects a tampered body", async () => {
    const client = server.ssm();
    client.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as { body?: string | Uint8Array };
        const text = typeof req.body === "string" ? req.body : Buffer.from(req.body ?? []).toString();
        assert.ok(text.includes('"x"'), `body to tamper with: ${text}`);
        req.body = text.replace('"x"', '"y"');
        return next(args);
      },
      { step: "deserialize", priority: "low", name: "tamper" },
    );
    await assert.rejects(client.send(new GetParameterCommand({ Name: "x" })), { name: "InvalidSignatureException" });
  });

  it("answers sts get-caller-identity for the aws CLI and boto3", async () => {
    const cli = await awsCli(server, ["sts", "get-caller-identity"]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.json.Arn, /^arn:aws:iam::\d{12}:user\/admin$/);
    const py = await boto3(
      server,
      "print(json.dumps(boto3.client('sts', endpoint_url=ssm.meta.endpoint_url, region_name='us-east-1').get_caller_identity()['Account']))",
    );
    assert.equal(py.code, 0, py.stderr);
    assert.equal(JSON.parse(py.stdout), cli.json.Account);
  });

  it("answers SerializationException for a wrongly typed member and invalid JSON", async () => {
    const bad = await boto3(server, "");
    assert.equal(bad.code, 0);
    const client = server.ssm();
    await assert.rejects(client.send(new GetParameterCommand({ Name: 7 as unknown as string })), { name: "SerializationException" });
  });

  /** A request signed with the admin's keys for any service and region, sent as signed (or re-targeted after signing). */
  async function signed(opts: {
    service: string;
    region?: string;
    method?: string;
    path?: string;
    target?: string;
    body?: string;
    retarget?: string;
    contentType?: string;
  }): Promise<{ status: number; type: string; message: string; text: string }> {
    const body = opts.body ?? (opts.method === "GET" ? "" : "{}");
    const headers: Record<string, string> = {};
    if (opts.target) headers["x-amz-target"] = opts.target;
    if (opts.method !== "GET") headers["content-type"] = opts.contentType ?? "application/x-amz-json-1.1";
    const req: RequestToSign = { method: opts.method ?? "POST", url: new URL(opts.path ?? "/", server.endpoint), headers, body };
    signHmac(req, { service: opts.service, region: opts.region ?? "us-east-1" }, server.admin);
    if (opts.retarget) req.headers["x-amz-target"] = opts.retarget;
    const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.method === "GET" ? undefined : body });
    const text = await res.text();
    let type = res.headers.get("x-amzn-errortype") ?? "";
    let message = "";
    try {
      const parsed = JSON.parse(text) as { __type?: string; message?: string };
      type = parsed.__type ?? type;
      message = parsed.message ?? "";
    } catch {
      message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? text;
      type = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? type;
    }
    return { status: res.status, type, message, text };
  }

  it("refuses a credential scoped to another service, with AWS's message, on every endpoint", async () => {
    const cases: { what: string; req: Parameters<typeof signed>[0]; expected: string }[] = [
      { what: "SSM signed for s3", req: { service: "s3", target: "AmazonSSM.DescribeParameters" }, expected: "ssm" },
      { what: "SSM signed for kms", req: { service: "kms", target: "AmazonSSM.GetParameter", body: '{"Name":"x"}' }, expected: "ssm" },
      { what: "KMS signed for ssm", req: { service: "ssm", target: "TrentService.ListKeys" }, expected: "kms" },
      {
        what: "ec2messages signed for ssm",
        req: { service: "ssm", target: "EC2WindowsMessageDeliveryService.GetMessages", body: '{"Destination":"mi-0123456789abcdef0"}' },
        expected: "ec2messages",
      },
    ];
    for (const c of cases) {
      const r = await signed(c.req);
      assert.equal(r.status, 400, `${c.what}: ${r.text}`);
      assert.equal(r.type, "InvalidSignatureException", c.what);
      assert.equal(r.message, `Credential should be scoped to correct service: '${c.expected}'. `, c.what);
    }
    // The same keys, scoped right, are accepted.
    assert.equal((await signed({ service: "ssm", target: "AmazonSSM.DescribeParameters" })).status, 200);
    assert.equal((await signed({ service: "kms", target: "TrentService.ListKeys" })).status, 200);
  });

  it("refuses the command-output download, STS and the agents' channels signed for another service", async () => {
    const path = "/v1/command-output/00000000-0000-0000-0000-000000000000/mi-0123456789abcdef0/aws:runShellScript/stdout";
    const s3 = await signed({ service: "s3", method: "GET", path });
    assert.equal(s3.status, 403, s3.text);
    assert.equal(s3.type, "InvalidSignatureException");
    assert.equal(s3.message, "Credential should be scoped to correct service: 'ssm'. ");
    const ssm = await signed({ service: "ssm", method: "GET", path });
    assert.equal(ssm.type, "InvocationDoesNotExist", ssm.text);
    const sts = await signed({ service: "ssm", body: "Action=GetCallerIdentity&Version=2011-06-15", contentType: "application/x-www-form-urlencoded" });
    assert.equal(sts.status, 403, sts.text);
    assert.match(sts.text, /<Code>SignatureDoesNotMatch<\/Code>/);
    assert.match(sts.text, /Credential should be scoped to correct service: 'sts'\./);
    const channel = await signed({
      service: "ssm",
      path: "/v1/control-channel/mi-0123456789abcdef0",
      body: '{"MessageSchemaVersion":"1.0","RequestId":"00000000-0000-0000-0000-000000000000"}',
    });
    assert.equal(channel.status, 403, channel.text);
    assert.match(channel.text, /<AccessDeniedException><Message>Credential should be scoped to correct service: &apos;ssmmessages&apos;\./);
    // Scoped to ssmmessages, the admin is still no node: refused for who it is, not for the scope.
    const asAdmin = await signed({
      service: "ssmmessages",
      path: "/v1/control-channel/mi-0123456789abcdef0",
      body: '{"MessageSchemaVersion":"1.0","RequestId":"00000000-0000-0000-0000-000000000000"}',
    });
    assert.equal(asAdmin.status, 403);
    assert.doesNotMatch(asAdmin.text, /scoped to correct service/);
  });

  it("refuses a request whose X-Amz-Target is not signed, so a captured request cannot be re-targeted", async () => {
    await server.ssm().send(new PutParameterCommand({ Name: "/wire/keep", Value: "kept", Type: "String", Overwrite: true }));
    // Signed without the target, then given one.
    const unsigned = await signed({ service: "ssm", retarget: "AmazonSSM.DeleteParameter", body: '{"Name":"/wire/keep"}' });
    assert.equal(unsigned.status, 400, unsigned.text);
    assert.equal(unsigned.type, "IncompleteSignatureException");
    assert.equal(unsigned.message, "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.");
    // Signed with one target, sent with another: the signature no longer matches.
    const moved = await signed({ service: "ssm", target: "AmazonSSM.GetParameter", retarget: "AmazonSSM.DeleteParameter", body: '{"Name":"/wire/keep"}' });
    assert.equal(moved.type, "InvalidSignatureException", moved.text);
    assert.equal((await server.ssm().send(new GetParameterCommand({ Name: "/wire/keep" }))).Parameter?.Value, "kept");
  });

  it("accepts AWS's region names and refuses others, naming the allowed ones", async () => {
    const typo = new SSMClient({ endpoint: server.endpoint, region: "us-east1", credentials: server.admin, maxAttempts: 1 });
    await assert.rejects(
      typo.send(new GetParameterCommand({ Name: "x" })),
      (e: Error) =>
        e.name === "InvalidSignatureException" &&
        e.message.startsWith("Credential should be scoped to a valid region, not 'us-east1'.") &&
        /AWS's region names.*--regions \/ OPENSSM_REGIONS.*us-east-1, us-east-2/.test(e.message),
    );
    for (const region of ["eu-west-3", "us-gov-west-1", "cn-north-1", "ap-southeast-7"]) {
      const client = server.ssm(server.admin, region);
      await client.send(new PutParameterCommand({ Name: "/wire/region", Value: region, Type: "String", Overwrite: true }));
    }
    const cli = await awsCli(server, ["ssm", "describe-parameters"], { region: "eu-west-9" });
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /InvalidSignatureException.*valid region, not 'eu-west-9'/);
  });
});

describe("server settings at the wire: --regions and --account-id", () => {
  it("accepts only the regions the operator lists", async () => {
    const server = await startServer({ args: ["--regions", "eu-west-1,us-east-1"] });
    try {
      await server.ssm(server.admin, "eu-west-1").send(new PutParameterCommand({ Name: "/r/x", Value: "x", Type: "String" }));
      await assert.rejects(
        server.ssm(server.admin, "us-west-2").send(new GetParameterCommand({ Name: "/r/x" })),
        (e: Error) =>
          e.name === "InvalidSignatureException" &&
          e.message ===
            "Credential should be scoped to a valid region, not 'us-west-2'. This server accepts the regions set by --regions / OPENSSM_REGIONS: eu-west-1, us-east-1.",
      );
    } finally {
      await server.destroy();
    }
  });

  it("creates the default account with the id given, keeps it, and refuses to re-key a data directory", async () => {
    const server = await startServer({ env: { OPENSSM_ACCOUNT_ID: "123456789012" } });
    try {
      const sts = new STSClient({ endpoint: server.endpoint, region: "us-east-1", credentials: server.admin, maxAttempts: 1 });
      const me = await sts.send(new GetCallerIdentityCommand({}));
      assert.equal(me.Account, "123456789012");
      assert.equal(me.Arn, "arn:aws:iam::123456789012:user/admin");
      const cli = await awsCli(server, ["sts", "get-caller-identity"]);
      assert.equal(cli.json?.Account, "123456789012", cli.stderr);
      await server.ssm().send(new PutParameterCommand({ Name: "/acct/x", Value: "x", Type: "String" }));
      const got = await server.ssm().send(new GetParameterCommand({ Name: "/acct/x" }));
      assert.equal(got.Parameter?.ARN, "arn:aws:ssm:us-east-1:123456789012:parameter/acct/x");
      await server.stop();
      // The same data with another id: the server refuses to start and says why.
      await assert.rejects(
        (async () => {
          const other = await startServer({
            databaseUrl: server.databaseUrl,
            masterKey: server.masterKey,
            admin: server.admin,
            env: { OPENSSM_ACCOUNT_ID: "210987654321" },
          });
          await other.destroy();
        })(),
        /created with the default account 123456789012.*does not re-key/s,
      );
      // With the id it was created with, it starts again.
      await server.restart();
      assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Account, "123456789012");
    } finally {
      await server.destroy();
    }
  });

  it("refuses to start with an account id that is not 12 digits", async () => {
    for (const bad of ["12345", "1234567890123", "12345678901a"]) {
      await assert.rejects(
        startServer({ args: ["--account-id", bad] }),
        /--account-id \/ OPENSSM_ACCOUNT_ID must be an AWS account id: exactly 12 digits/,
        bad,
      );
    }
  });
});
