// One paging module for every list operation: tokens name a position (not an offset), so a page
// does not shift when items are added between calls, and a token only works for the operation,
// query, account and region that issued it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  DescribeParametersCommand,
  GetParametersByPathCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  ListDocumentsCommand,
  PutParameterCommand,
  SendCommandCommand,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import { registerFakeNode } from "../harness/fake-node.js";
import { startServer, type TestServer } from "../harness/index.js";

describe("paging: stable tokens for every list operation", () => {
  let server: TestServer;
  let ssm: SSMClient;
  let nodeId: string;

  before(async () => {
    server = await startServer({ testClock: true });
    ssm = server.ssm();
    nodeId = (await registerFakeNode(server)).instanceId;
  });
  after(() => server?.destroy());

  const send = async (comment: string) => {
    const r = await ssm.send(
      new SendCommandCommand({ DocumentName: "AWS-RunShellScript", InstanceIds: [nodeId], Parameters: { commands: ["true"] }, Comment: comment }),
    );
    await server.advanceClock(1); // distinct request times, as commands sent a second apart
    return String(r.Command?.CommandId);
  };

  it("ListCommands pages do not shift when a command is sent between two pages", async () => {
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await send(`page-${i}`));
    const first = await ssm.send(new ListCommandsCommand({ MaxResults: 2 }));
    assert.deepEqual(
      first.Commands?.map((c) => c.CommandId),
      [sent[4], sent[3]],
    );
    await send("arrives-between-pages");
    const second = await ssm.send(new ListCommandsCommand({ MaxResults: 2, NextToken: first.NextToken }));
    assert.deepEqual(
      second.Commands?.map((c) => c.CommandId),
      [sent[2], sent[1]],
    );
    const third = await ssm.send(new ListCommandsCommand({ MaxResults: 2, NextToken: second.NextToken }));
    assert.deepEqual(
      third.Commands?.map((c) => c.CommandId),
      [sent[0]],
    );
    assert.equal(third.NextToken, undefined);
  });

  it("ListCommandInvocations pages by position too", async () => {
    const first = await ssm.send(new ListCommandInvocationsCommand({ MaxResults: 3 }));
    assert.equal(first.CommandInvocations?.length, 3);
    const newest = first.CommandInvocations?.[0].CommandId;
    await send("another-between-pages");
    const seen = new Set(first.CommandInvocations?.map((i) => i.CommandId));
    let token = first.NextToken;
    while (token) {
      const page = await ssm.send(new ListCommandInvocationsCommand({ MaxResults: 3, NextToken: token }));
      for (const inv of page.CommandInvocations ?? []) {
        assert.ok(!seen.has(inv.CommandId), `${inv.CommandId} came twice`);
        seen.add(inv.CommandId);
      }
      token = page.NextToken;
    }
    assert.equal(seen.size, 6);
    assert.ok(seen.has(newest));
  });

  it("refuses a token used with another operation or another query", async () => {
    const commands = await ssm.send(new ListCommandsCommand({ MaxResults: 1 }));
    assert.ok(commands.NextToken);
    await assert.rejects(ssm.send(new ListCommandInvocationsCommand({ NextToken: commands.NextToken })), { name: "InvalidNextToken" });
    await assert.rejects(ssm.send(new ListDocumentsCommand({ NextToken: commands.NextToken })), { name: "InvalidNextToken" });
    await assert.rejects(ssm.send(new ListCommandsCommand({ MaxResults: 1, NextToken: commands.NextToken, Filters: [{ key: "Status", value: "Pending" }] })), {
      name: "InvalidNextToken",
    });
    await assert.rejects(ssm.send(new ListCommandsCommand({ NextToken: "bm90IGEgdG9rZW4" })), { name: "InvalidNextToken" });

    for (let i = 0; i < 3; i++) await ssm.send(new PutParameterCommand({ Name: `/paging/p${i}`, Value: "v", Type: "String" }));
    const byPath = await ssm.send(new GetParametersByPathCommand({ Path: "/paging", MaxResults: 1 }));
    assert.ok(byPath.NextToken);
    await assert.rejects(ssm.send(new DescribeParametersCommand({ NextToken: byPath.NextToken })), { name: "InvalidNextToken" });
    await assert.rejects(ssm.send(new GetParametersByPathCommand({ Path: "/other", NextToken: byPath.NextToken })), { name: "InvalidNextToken" });
  });

  it("refuses a token from another region", async () => {
    const page = await ssm.send(new ListCommandsCommand({ MaxResults: 1 }));
    const west = server.ssm(undefined, "us-west-2");
    await assert.rejects(west.send(new ListCommandsCommand({ MaxResults: 1, NextToken: page.NextToken })), { name: "InvalidNextToken" });
  });
});
