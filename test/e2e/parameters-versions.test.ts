import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  GetParameterCommand,
  GetParameterHistoryCommand,
  GetParametersByPathCommand,
  LabelParameterVersionCommand,
  PutParameterCommand,
  type SSMClient,
  UnlabelParameterVersionCommand,
} from "@aws-sdk/client-ssm";
import { defaultAccountId, startServer, type TestServer } from "../harness/index.js";

describe("Parameter Store: versions, history and labels", () => {
  let server: TestServer;
  let ssm: SSMClient;
  let account: string;
  const put = (Name: string, Value: string, extra: Record<string, unknown> = {}) =>
    ssm.send(new PutParameterCommand({ Name, Value, Type: "String", Overwrite: true, ...extra }));
  const label = (Name: string, Labels: string[], ParameterVersion?: number) => ssm.send(new LabelParameterVersionCommand({ Name, Labels, ParameterVersion }));
  const value = async (Name: string) => (await ssm.send(new GetParameterCommand({ Name }))).Parameter;

  before(async () => {
    server = await startServer();
    ssm = server.ssm();
    account = await defaultAccountId(server);
    await put("/ver/db/url", "v1", { Description: "first" });
    await put("/ver/db/url", "v2", { Description: "second" });
    await put("/ver/db/url", "v3");
  });
  after(async () => server?.destroy());

  it("keeps every version in the history, oldest first, with who changed it", async () => {
    const h = await ssm.send(new GetParameterHistoryCommand({ Name: "/ver/db/url" }));
    assert.deepEqual(
      h.Parameters?.map((p) => [p.Version, p.Value, p.Description]),
      [
        [1, "v1", "first"],
        [2, "v2", "second"],
        [3, "v3", "second"],
      ],
    );
    const first = h.Parameters![0];
    assert.equal(first.Name, "/ver/db/url");
    assert.equal(first.Type, "String");
    assert.equal(first.LastModifiedUser, `arn:aws:iam::${account}:user/admin`);
    assert.equal(first.Tier, "Standard");
    assert.equal(first.DataType, "text");
    assert.deepEqual(first.Labels, []);
    assert.deepEqual(first.Policies, []);
    assert.equal(h.NextToken, undefined);
  });

  it("pages the history with a stable token and refuses a bad one", async () => {
    const p1 = await ssm.send(new GetParameterHistoryCommand({ Name: "/ver/db/url", MaxResults: 2 }));
    assert.deepEqual(
      p1.Parameters?.map((p) => p.Version),
      [1, 2],
    );
    assert.ok(p1.NextToken);
    const again = await ssm.send(new GetParameterHistoryCommand({ Name: "/ver/db/url", MaxResults: 2, NextToken: p1.NextToken }));
    const p2 = await ssm.send(new GetParameterHistoryCommand({ Name: "/ver/db/url", MaxResults: 2, NextToken: p1.NextToken }));
    assert.deepEqual(
      p2.Parameters?.map((p) => p.Version),
      [3],
    );
    assert.deepEqual(
      again.Parameters?.map((p) => p.Version),
      [3],
    );
    assert.equal(p2.NextToken, undefined);
    await assert.rejects(ssm.send(new GetParameterHistoryCommand({ Name: "/ver/db/url", NextToken: "garbage" })), { name: "InvalidNextToken" });
    await put("/ver/other", "x");
    await assert.rejects(ssm.send(new GetParameterHistoryCommand({ Name: "/ver/other", NextToken: p1.NextToken })), { name: "InvalidNextToken" });
    await assert.rejects(ssm.send(new GetParameterHistoryCommand({ Name: "/ver/missing" })), { name: "ParameterNotFound" });
    await assert.rejects(ssm.send(new GetParameterHistoryCommand({ Name: "/ver/db/url:1" })), { name: "ValidationException" });
    await assert.rejects(ssm.send(new GetParameterHistoryCommand({ Name: "/ver/db/url", MaxResults: 51 })), { name: "ValidationException" });
  });

  it("labels the latest version by default, a given version on request, and reports invalid labels", async () => {
    const latest = await label("/ver/db/url", ["newest"]);
    assert.equal(latest.ParameterVersion, 3);
    assert.deepEqual(latest.InvalidLabels, []);
    const r = await label("/ver/db/url", ["prod", "Bad Label", "1st", "awsLabel", "ssm-x", "ok.v1_2-x"], 1);
    assert.equal(r.ParameterVersion, 1);
    assert.deepEqual(r.InvalidLabels, ["Bad Label", "1st", "awsLabel", "ssm-x"]);
    const p = await value("/ver/db/url:prod");
    assert.equal(p?.Value, "v1");
    assert.equal(p?.Version, 1);
    assert.equal(p?.Selector, ":prod");
    const h = await ssm.send(new GetParameterHistoryCommand({ Name: "/ver/db/url" }));
    assert.deepEqual(h.Parameters?.[0].Labels, ["ok.v1_2-x", "prod"]);
    assert.deepEqual(h.Parameters?.[2].Labels, ["newest"]);
  });

  it("moves a label from one version to another", async () => {
    await label("/ver/db/url", ["prod"], 2);
    assert.equal((await value("/ver/db/url:prod"))?.Value, "v2");
    const h = await ssm.send(new GetParameterHistoryCommand({ Name: "/ver/db/url" }));
    assert.deepEqual(h.Parameters?.[0].Labels, ["ok.v1_2-x"]);
    assert.deepEqual(h.Parameters?.[1].Labels, ["prod"]);
  });

  it("allows ten labels per version", async () => {
    const ten = Array.from({ length: 9 }, (_, i) => `l${i}`);
    await label("/ver/db/url", ten, 3); // with "newest": 10
    await label("/ver/db/url", ["l0", "l1"], 3); // already there: no change
    await assert.rejects(label("/ver/db/url", ["eleventh"], 3), { name: "ParameterVersionLabelLimitExceeded", message: /maximum 10 labels/ });
    await assert.rejects(label("/ver/db/url", ["x"], 9), { name: "ParameterVersionNotFound" });
    await assert.rejects(label("/ver/nothing", ["x"]), { name: "ParameterNotFound" });
    await assert.rejects(
      label(
        "/ver/db/url",
        Array.from({ length: 11 }, (_, i) => `m${i}`),
      ),
      { name: "ValidationException" },
    );
  });

  it("removes labels and says which were not there", async () => {
    const r = await ssm.send(new UnlabelParameterVersionCommand({ Name: "/ver/db/url", ParameterVersion: 3, Labels: ["l0", "l1", "prod", "never"] }));
    assert.deepEqual(r.RemovedLabels, ["l0", "l1"]);
    assert.deepEqual(r.InvalidLabels, ["prod", "never"]);
    await assert.rejects(value("/ver/db/url:l0"), { name: "ParameterVersionNotFound" });
    await assert.rejects(ssm.send(new UnlabelParameterVersionCommand({ Name: "/ver/db/url", ParameterVersion: 42, Labels: ["x"] })), {
      name: "ParameterVersionNotFound",
    });
    await assert.rejects(ssm.send(new UnlabelParameterVersionCommand({ Name: "/ver/none", ParameterVersion: 1, Labels: ["x"] })), {
      name: "ParameterNotFound",
    });
  });

  it("GetParametersByPath with a Label filter returns the labelled versions", async () => {
    await put("/ver/app/a", "a1");
    await put("/ver/app/a", "a2");
    await put("/ver/app/b", "b1");
    await put("/ver/app/c", "c1");
    await label("/ver/app/a", ["live"], 1);
    await label("/ver/app/b", ["live"], 1);
    const r = await ssm.send(new GetParametersByPathCommand({ Path: "/ver/app", ParameterFilters: [{ Key: "Label", Option: "Equals", Values: ["live"] }] }));
    assert.deepEqual(
      r.Parameters?.map((p) => [p.Name, p.Value, p.Version, p.Selector]),
      [
        ["/ver/app/a", "a1", 1, ":live"],
        ["/ver/app/b", "b1", 1, ":live"],
      ],
    );
  });

  it("keeps 100 versions: drops the oldest, unless the oldest has a label", async () => {
    const name = "/ver/busy";
    for (let i = 1; i <= 100; i++) await put(name, `value-${i}`);
    await label(name, ["pinned"], 1);
    await assert.rejects(put(name, "value-101"), { name: "ParameterMaxVersionLimitExceeded", message: /Version 1, the oldest version, can't be deleted/ });
    await label(name, ["pinned"], 50);
    assert.equal((await put(name, "value-101")).Version, 101);
    assert.equal((await put(name, "value-102")).Version, 102);
    const versions: number[] = [];
    let NextToken: string | undefined;
    do {
      const page = await ssm.send(new GetParameterHistoryCommand({ Name: name, MaxResults: 50, NextToken }));
      versions.push(...(page.Parameters ?? []).map((p) => p.Version!));
      NextToken = page.NextToken;
    } while (NextToken);
    assert.equal(versions.length, 100);
    assert.equal(versions[0], 3);
    assert.equal(versions[99], 102);
    await assert.rejects(value(`${name}:1`), { name: "ParameterVersionNotFound" });
    assert.equal((await value(`${name}:pinned`))?.Value, "value-50");
  });
  it("gives concurrent writers distinct versions or TooManyUpdates, never a lost update", async () => {
    await put("/ver/race", "start");
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => put("/ver/race", `writer-${i}`)));
    const versions = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.Version!] : []));
    for (const r of results) if (r.status === "rejected") assert.equal((r.reason as Error).name, "TooManyUpdates");
    assert.equal(new Set(versions).size, versions.length);
    const history = await ssm.send(new GetParameterHistoryCommand({ Name: "/ver/race" }));
    assert.equal(history.Parameters?.length, versions.length + 1);
    assert.equal((await value("/ver/race"))?.Version, Math.max(...versions));
    const creates = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => ssm.send(new PutParameterCommand({ Name: "/ver/race-new", Value: String(i), Type: "String" }))),
    );
    assert.equal(creates.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of creates) if (r.status === "rejected") assert.ok(["ParameterAlreadyExists", "TooManyUpdates"].includes((r.reason as Error).name));
  });
});
