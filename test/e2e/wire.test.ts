import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
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
});
