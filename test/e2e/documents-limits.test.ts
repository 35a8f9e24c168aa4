import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateDocumentCommand, DeleteDocumentCommand, type SSMClient, UpdateDocumentCommand } from "@aws-sdk/client-ssm";
import { startServer, type TestServer } from "../harness/index.js";

const doc = (i: number | string) =>
  JSON.stringify({ schemaVersion: "2.2", mainSteps: [{ action: "aws:runShellScript", name: "run", inputs: { runCommand: [`echo ${i}`] } }] });

/** Runs `count` calls, `width` at a time. */
async function inParallel(count: number, width: number, call: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await call(next++);
    }),
  );
}

describe("Documents: AWS's quotas (1000 versions per document, 500 documents per account and region)", () => {
  let server: TestServer;
  let ssm: SSMClient;

  before(async () => {
    server = await startServer();
    ssm = server.ssm();
  });
  after(async () => server?.destroy());

  it("refuses the 1001st version with DocumentVersionLimitExceeded, and concurrent updates get distinct versions", async () => {
    await ssm.send(new CreateDocumentCommand({ Name: "ManyVersions", Content: doc(0) }));
    const versions: string[] = [];
    await inParallel(999, 8, async (i) => {
      const r = await ssm.send(new UpdateDocumentCommand({ Name: "ManyVersions", Content: doc(i + 1) }));
      versions.push(String(r.DocumentDescription?.DocumentVersion));
    });
    assert.equal(new Set(versions).size, 999);
    assert.equal(Math.max(...versions.map(Number)), 1000);
    await assert.rejects(ssm.send(new UpdateDocumentCommand({ Name: "ManyVersions", Content: doc("one too many") })), {
      name: "DocumentVersionLimitExceeded",
      message: /1000/,
    });
    await ssm.send(new DeleteDocumentCommand({ Name: "ManyVersions", DocumentVersion: "1000" }));
    const r = await ssm.send(new UpdateDocumentCommand({ Name: "ManyVersions", Content: doc("room again") }));
    assert.equal(r.DocumentDescription?.DocumentVersion, "1001");
  });

  it("refuses the 501st document with DocumentLimitExceeded", async () => {
    await inParallel(499, 8, (i) => ssm.send(new CreateDocumentCommand({ Name: `Doc-${String(i).padStart(3, "0")}`, Content: doc(i) })));
    await assert.rejects(ssm.send(new CreateDocumentCommand({ Name: "OneTooMany", Content: doc("x") })), { name: "DocumentLimitExceeded", message: /500/ });
    await ssm.send(new DeleteDocumentCommand({ Name: "Doc-000" }));
    await ssm.send(new CreateDocumentCommand({ Name: "OneTooMany", Content: doc("x") }));
  });
});
