import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateDocumentCommand, PutParameterCommand, SendCommandCommand, type SendCommandCommandInput, type SSMClient } from "@aws-sdk/client-ssm";
import { type FakeNode, registerFakeNode } from "../harness/fake-node.js";
import { createUser, startServer, type TestServer } from "../harness/index.js";

/**
 * Parameter resolution (the documents capability's resolveParameters) seen end to end: SendCommand
 * checks the caller's parameters against the document and hands the node the resolved values.
 */
describe("Documents: parameter checks, defaults and {{ssm:...}} references, as Run Command uses them", () => {
  let server: TestServer;
  let ssm: SSMClient;
  let node: FakeNode;
  const send = (input: Omit<SendCommandCommandInput, "InstanceIds">, client = ssm) =>
    client.send(new SendCommandCommand({ InstanceIds: [node.instanceId], ...input }));
  /** The parameters the node receives for a command. */
  const delivered = async (commandId: string): Promise<Record<string, unknown>> => {
    for (;;) {
      const message = await node.nextMessage();
      await node.acknowledge(message.MessageId);
      const payload = JSON.parse(message.Payload);
      if (payload.CommandId === commandId) return payload.Parameters;
    }
  };

  before(async () => {
    server = await startServer({ args: ["--agent-poll-seconds", "1"] });
    ssm = server.ssm();
    node = await registerFakeNode(server);
    await ssm.send(new PutParameterCommand({ Name: "/app/name", Value: "web", Type: "String" }));
    await ssm.send(new PutParameterCommand({ Name: "/app/hosts", Value: "a.example,b.example", Type: "StringList" }));
    await ssm.send(new PutParameterCommand({ Name: "/app/password", Value: "hunter2", Type: "SecureString" }));
    await ssm.send(
      new CreateDocumentCommand({
        Name: "Typed",
        DocumentType: "Command",
        Content: JSON.stringify({
          schemaVersion: "2.2",
          parameters: {
            service: { type: "String", allowedPattern: "^[a-z]+$", maxChars: 10 },
            mode: { type: "String", allowedValues: ["fast", "safe"], default: "safe" },
            hosts: { type: "StringList", default: ["localhost"], maxItems: 4 },
            retries: { type: "Integer", default: 3 },
            verbose: { type: "Boolean", default: false },
            labels: { type: "StringMap", default: {} },
            owner: { type: "String", default: "{{ssm:/app/name}}" },
          },
          mainSteps: [
            { action: "aws:runShellScript", name: "run", inputs: { runCommand: ["systemctl restart {{ service }}", "echo {{ssm-secure:/app/password}}"] } },
          ],
        }),
      }),
    );
  });
  after(async () => server?.destroy());

  it("fills defaults, resolves {{ssm:...}} in values and defaults, and expands StringList references", async () => {
    const sent = await send({
      DocumentName: "Typed",
      Parameters: {
        service: ["{{ssm:/app/name}}"],
        hosts: ["{{ ssm:/app/hosts }}", "c.example"],
        retries: ["7"],
        verbose: ["true"],
        labels: ['{"team":"ops"}'],
      },
    });
    const params = await delivered(String(sent.Command?.CommandId));
    assert.equal(params.service, "web");
    assert.deepEqual(params.hosts, ["a.example", "b.example", "c.example"]);
    assert.equal(params.mode, "safe");
    assert.equal(String(params.retries), "7");
    assert.equal(String(params.verbose), "true");
    assert.deepEqual(params.labels, { team: "ops" });
    assert.equal(params.owner, "web", "a default's {{ssm:...}} is resolved too");
  });

  it("answers InvalidParameters naming the parameter", async () => {
    const bad = (Parameters: Record<string, string[]>, message: RegExp) =>
      assert.rejects(send({ DocumentName: "Typed", Parameters }), { name: "InvalidParameters", message });
    await bad({}, /"service".*required/);
    await bad({ service: ["web"], colour: ["red"] }, /"colour" is not declared by document Typed; it declares service, mode/);
    await bad({ service: ["Web!"] }, /"service".*does not match the allowed pattern/);
    await bad({ service: ["averyverylongname"] }, /"service".*at most 10/);
    await bad({ service: ["web"], mode: ["reckless"] }, /"mode".*not one of the allowed values: fast, safe/);
    await bad({ service: ["web"], retries: ["many"] }, /"retries".*whole number/);
    await bad({ service: ["web"], verbose: ["perhaps"] }, /"verbose".*true or false/);
    await bad({ service: ["web", "db"] }, /"service".*one value; 2 were given/);
    await bad({ service: ["web"], hosts: ["1", "2", "3", "4", "5"] }, /"hosts".*at most 4/);
    await bad({ service: ["web"], labels: ["not json"] }, /"labels".*not valid JSON/);
    await bad({ service: ["{{ssm:/app/missing}}"] }, /"service".*\{\{ssm:\/app\/missing\}\} can't be resolved/);
    await bad({ service: ["{{ssm:/app/password}}"] }, /SecureString.*ssm-secure/);
    // The built-ins check their parameters the same way.
    await assert.rejects(send({ DocumentName: "AWS-RunShellScript", Parameters: {} }), { name: "InvalidParameters", message: /"commands".*required/ });
    await assert.rejects(send({ DocumentName: "AWS-RunShellScript", Parameters: { commands: ["ls"], executionTimeout: ["999999"] } }), {
      name: "InvalidParameters",
      message: /"executionTimeout"/,
    });
  });

  it("reads {{ssm:...}} with the caller's permissions", async () => {
    const limited = await createUser(server, "limited", [
      {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: ["ssm:SendCommand"], Resource: "*" },
          { Effect: "Allow", Action: "ssm:GetParameters", Resource: "arn:aws:ssm:*:*:parameter/app/hosts" },
        ],
      },
    ]);
    const asLimited = server.ssm(limited);
    await assert.rejects(send({ DocumentName: "Typed", Parameters: { service: ["{{ssm:/app/name}}"] } }, asLimited), {
      name: "AccessDeniedException",
      message: /parameter\/app\/name/,
    });
    const sent = await send({ DocumentName: "Typed", Parameters: { service: ["db"], owner: ["x"], hosts: ["{{ssm:/app/hosts}}"] } }, asLimited);
    const params = await delivered(String(sent.Command?.CommandId));
    assert.deepEqual(params.hosts, ["a.example", "b.example"]);
  });
});
