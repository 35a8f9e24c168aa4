import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DeleteParameterCommand, PutParameterCommand, type PutParameterCommandInput, type SSMClient } from "@aws-sdk/client-ssm";
import { openStorage } from "@openssm/server";
import { defaultAccountId, startServer, type TestServer } from "../harness/index.js";

const STANDARD_LIMIT = 10_000;

describe("Parameter Store: the standard-tier quota of 10,000 parameters", () => {
  let server: TestServer;
  let ssm: SSMClient;
  const put = (input: PutParameterCommandInput) => ssm.send(new PutParameterCommand(input));

  before(async () => {
    server = await startServer();
    ssm = server.ssm();
    // Creating 9,999 parameters through the API would take minutes: write their rows directly.
    const account = await defaultAccountId(server);
    const storage = openStorage(server.databaseUrl);
    try {
      const now = Date.now();
      for (let start = 0; start < STANDARD_LIMIT - 1; start += 500) {
        const rows = [];
        for (let i = start; i < Math.min(start + 500, STANDARD_LIMIT - 1); i++) {
          const name = `/seeded/p${String(i).padStart(5, "0")}`;
          rows.push({
            account_id: account,
            region: "us-east-1",
            name_key: name,
            name,
            parent_path: "/seeded",
            type: "String",
            data_type: "text",
            tier: "Standard",
            version: 1,
            last_modified_date: now,
            last_modified_user: `arn:aws:iam::${account}:user/admin`,
          });
        }
        await storage.db.insertInto("parameters").values(rows).execute();
      }
    } finally {
      await storage.close();
    }
  });
  after(async () => server?.destroy());

  it("refuses the 10,001st standard parameter with ParameterLimitExceeded", async () => {
    assert.equal((await put({ Name: "/limit/last-standard", Value: "v", Type: "String" })).Tier, "Standard");
    await assert.rejects(put({ Name: "/limit/one-too-many", Value: "v", Type: "String" }), {
      name: "ParameterLimitExceeded",
      message: /maximum number of standard parameters.*10000/,
    });
    // Updating an existing standard parameter still works.
    assert.equal((await put({ Name: "/limit/last-standard", Value: "v2", Overwrite: true })).Version, 2);
  });

  it("lets Intelligent-Tiering and Advanced go past it", async () => {
    assert.equal((await put({ Name: "/limit/smart", Value: "v", Type: "String", Tier: "Intelligent-Tiering" })).Tier, "Advanced");
    assert.equal((await put({ Name: "/limit/advanced", Value: "v", Type: "String", Tier: "Advanced" })).Tier, "Advanced");
  });

  it("frees a place when a standard parameter is deleted", async () => {
    await ssm.send(new DeleteParameterCommand({ Name: "/limit/last-standard" }));
    assert.equal((await put({ Name: "/limit/one-too-many", Value: "v", Type: "String" })).Tier, "Standard");
  });
});
