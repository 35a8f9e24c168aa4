// The dispatcher's authorization fails closed: an operation that declares no way to authorize is
// refused at registration, one whose resources() names nothing never runs, a listing whose handler
// checked nothing fails, and what resources() prepared reaches handle(). A server runs in this
// process with a test capability standing in for real operations.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { GetParameterCommand, GetParameterHistoryCommand, GetParametersByPathCommand, SSMClient } from "@aws-sdk/client-ssm";
import { type RunningServer, startServer } from "../../packages/server/src/index.js";
import type { Capability, OperationDef } from "../../packages/server/src/runtime.js";

type RunningServerForTests = RunningServer;

const KEY = { accessKeyId: "AKIAFAILCLOSEDTEST01", secretAccessKey: "fail-closed-secret-key-for-tests-only-000" };

function capability(operations: OperationDef<any, any, any>[]): Capability {
  return { name: "fail-closed-test", operations };
}

async function serve(operations: OperationDef<any, any, any>[]): Promise<{ server: RunningServerForTests; ssm: SSMClient; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "openssm-failclosed-"));
  const server = (await startServer(
    {
      dataDir: dir,
      port: 0,
      host: "127.0.0.1",
      tlsPort: "off",
      adminAccessKeyId: KEY.accessKeyId,
      adminSecretAccessKey: KEY.secretAccessKey,
      logLevel: "silent",
    },
    { capabilities: [capability(operations)] },
  )) as RunningServerForTests;
  const ssm = new SSMClient({ endpoint: server.url, region: "us-east-1", credentials: KEY, maxAttempts: 1 });
  return { server, ssm, dir };
}

describe("authorization fails closed", () => {
  const seen: unknown[] = [];
  let ctx: Awaited<ReturnType<typeof serve>>;

  before(async () => {
    ctx = await serve([
      {
        service: "ssm",
        name: "GetParameter",
        // A bug: names no resource. The dispatcher must not run the handler.
        resources: () => [],
        handle: async () => {
          seen.push("GetParameter ran");
          return { Parameter: { Name: "x", Value: "leaked" } };
        },
      },
      {
        service: "ssm",
        name: "GetParametersByPath",
        // A listing whose handler checks nothing: a bug the dispatcher turns into a failure.
        listing: true,
        handle: async () => ({ Parameters: [{ Name: "/leaked", Value: "leaked" }] }),
      },
      {
        service: "ssm",
        name: "GetParameterHistory",
        resources: (c, input: { Name: string }) => ({ resources: [{ arn: c.arn("ssm", `parameter/${input.Name}`) }], prepared: { found: input.Name } }),
        handle: async (_c, _input, prepared: { found: string }) => {
          seen.push(prepared);
          return { Parameters: [] };
        },
      },
    ]);
  });
  after(async () => {
    await ctx.server.close();
    rmSync(ctx.dir, { recursive: true, force: true });
  });

  it("never runs an operation whose resources() named nothing", async () => {
    await assert.rejects(ctx.ssm.send(new GetParameterCommand({ Name: "x" })), { name: "InternalServerError" });
    assert.ok(!seen.includes("GetParameter ran"));
  });

  it("fails a listing whose handler authorized nothing, without its result", async () => {
    await assert.rejects(ctx.ssm.send(new GetParametersByPathCommand({ Path: "/" })), { name: "InternalServerError" });
  });

  it("hands what resources() prepared to handle()", async () => {
    await ctx.ssm.send(new GetParameterHistoryCommand({ Name: "found-it" }));
    assert.deepEqual(seen.at(-1), { found: "found-it" });
  });

  it("refuses to register an operation that declares no way to authorize", async () => {
    const dir = mkdtempSync(join(tmpdir(), "openssm-failclosed-"));
    try {
      await assert.rejects(
        startServer(
          { dataDir: dir, port: 0, host: "127.0.0.1", tlsPort: "off", logLevel: "silent" },
          { capabilities: [capability([{ service: "ssm", name: "DeleteParameter", handle: async () => ({}) }])] },
        ),
        /DeleteParameter must declare exactly one way to authorize/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
