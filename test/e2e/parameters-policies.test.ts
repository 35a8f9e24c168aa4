import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  DeleteParameterCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  LabelParameterVersionCommand,
  PutParameterCommand,
  type PutParameterCommandInput,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import { defaultAccountId, eventually, startServer, type TestServer, webhookReceiver } from "../harness/index.js";

interface Event {
  source: string;
  "detail-type": string;
  account: string;
  region: string;
  time: string;
  resources: string[];
  detail: Record<string, unknown>;
}

const HOUR = 3600;
const DAY = 24 * HOUR;

describe("Parameter Store: policies driven by the clock, and events", () => {
  let server: TestServer;
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;
  let account: string;
  const events: Event[] = [];
  /** Seconds the server's clock was moved (SigV4 checks wall time, so clients sign as usual). */
  let moved = 0;
  let client: SSMClient;
  const ssm = () => client;
  const put = (input: PutParameterCommandInput) => ssm().send(new PutParameterCommand(input));
  const advance = async (seconds: number) => {
    await server.advanceClock(seconds);
    moved += seconds;
  };
  const policiesOf = async (name: string) =>
    (await ssm().send(new DescribeParametersCommand({ ParameterFilters: [{ Key: "Name", Values: [name] }] }))).Parameters?.[0]?.Policies;
  const iso = (offsetSeconds: number) => new Date(Date.now() + (moved + offsetSeconds) * 1000).toISOString();
  const find = (detailType: string, pred: (e: Event) => boolean) => eventually(async () => events.find((e) => e["detail-type"] === detailType && pred(e)));

  before(async () => {
    hook = await webhookReceiver(events);
    server = await startServer({ testClock: true, args: ["--webhook", hook.url] });
    account = await defaultAccountId(server);
    client = server.ssm();
  });
  after(async () => {
    await server?.destroy();
    await hook?.close();
  });

  it("publishes a Parameter Store Change event for each create, update, label and delete", async () => {
    await put({ Name: "/ev/db/password", Value: "hunter2-secret", Type: "SecureString", Description: "db password" });
    await put({ Name: "/ev/db/password", Value: "hunter3-secret", Overwrite: true });
    await ssm().send(new LabelParameterVersionCommand({ Name: "/ev/db/password", Labels: ["live"] }));
    const arn = `arn:aws:ssm:us-east-1:${account}:parameter/ev/db/password`;
    const create = await find("Parameter Store Change", (e) => e.detail.operation === "Create" && e.detail.name === "/ev/db/password");
    assert.equal(create.source, "aws.ssm");
    assert.equal(create.account, account);
    assert.equal(create.region, "us-east-1");
    assert.deepEqual(create.resources, [arn]);
    assert.deepEqual(create.detail, { operation: "Create", name: "/ev/db/password", type: "SecureString", description: "db password" });
    await find("Parameter Store Change", (e) => e.detail.operation === "Update" && e.detail.name === "/ev/db/password");
    const labelled = await find("Parameter Store Change", (e) => e.detail.operation === "LabelParameterVersion");
    assert.deepEqual(labelled.detail.labels, ["live"]);
    assert.equal(labelled.detail.version, 2);
    await ssm().send(new DeleteParameterCommand({ Name: "/ev/db/password" }));
    await find("Parameter Store Change", (e) => e.detail.operation === "Delete" && e.detail.name === "/ev/db/password");
    assert.ok(!JSON.stringify(events).includes("hunter"), "an event carried a SecureString value");
  });

  it("accepts policies only on the advanced tier, and validates them as AWS does", async () => {
    const exp = JSON.stringify([{ Type: "Expiration", Version: "1.0", Attributes: { Timestamp: iso(2 * DAY) } }]);
    await assert.rejects(put({ Name: "/pol/standard", Value: "v", Type: "String", Policies: exp }), {
      name: "ValidationException",
      message: /advanced-parameter tier/,
    });
    await assert.rejects(put({ Name: "/pol/standard", Value: "v", Type: "String", Tier: "Standard", Policies: exp }), { name: "ValidationException" });
    assert.equal((await put({ Name: "/pol/smart", Value: "v", Type: "String", Tier: "Intelligent-Tiering", Policies: exp })).Tier, "Advanced");
    const bad = async (Policies: string, name: string) =>
      assert.rejects(put({ Name: "/pol/bad", Value: "v", Type: "String", Tier: "Advanced", Policies }), { name }, Policies);
    await bad('[{"Type":"Rotation","Version":"1.0","Attributes":{}}]', "InvalidPolicyTypeException");
    await assert.rejects(put({ Name: "/pol/bad", Value: "v", Type: "String", Tier: "Advanced", Policies: '["Expiration"]' }), {
      name: "InvalidPolicyTypeException",
      message:
        /^The policy type isn't supported\. Parameter Store supports the following policy types: Expiration, ExpirationNotification, and NoChangeNotification\. \(policy 1 is the string "Expiration", not a policy object/,
    });
    await bad('[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"someday"}}]', "InvalidPolicyAttributeException");
    await bad('[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2001-01-01T00:00:00Z"}}]', "InvalidPolicyAttributeException");
    await bad('[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"3","Unit":"Weeks"}}]', "InvalidPolicyAttributeException");
    await bad(
      JSON.stringify(Array.from({ length: 11 }, () => ({ Type: "NoChangeNotification", Version: "1.0", Attributes: { After: "1", Unit: "Days" } }))),
      "PoliciesLimitExceededException",
    );
    await bad(
      JSON.stringify([
        { Type: "Expiration", Version: "1.0", Attributes: { Timestamp: iso(DAY) } },
        { Type: "Expiration", Version: "1.0", Attributes: { Timestamp: iso(2 * DAY) } },
      ]),
      "IncompatiblePolicyException",
    );
    await bad("not json", "ValidationException");
  });

  it("keeps policies across updates until replaced, and [{}] removes them", async () => {
    const noChange = { Type: "NoChangeNotification", Version: "1.0", Attributes: { After: "30", Unit: "Days" } };
    await put({ Name: "/pol/keep", Value: "1", Type: "String", Tier: "Advanced", Policies: JSON.stringify([noChange]) });
    await put({ Name: "/pol/keep", Value: "2", Overwrite: true });
    const kept = await policiesOf("/pol/keep");
    assert.equal(kept?.length, 1);
    assert.equal(kept?.[0].PolicyType, "NoChangeNotification");
    assert.equal(kept?.[0].PolicyStatus, "Pending");
    assert.deepEqual(JSON.parse(kept?.[0].PolicyText ?? "{}"), noChange);
    await put({ Name: "/pol/keep", Value: "3", Overwrite: true, Policies: "[{}]" });
    assert.deepEqual(await policiesOf("/pol/keep"), []);
    assert.equal((await ssm().send(new GetParameterCommand({ Name: "/pol/keep" }))).Parameter?.Version, 3);
  });

  it("notifies when unchanged, before expiry, and deletes the parameter when it expires", async () => {
    const policies = [
      { Type: "Expiration", Version: "1.0", Attributes: { Timestamp: iso(2 * DAY) } },
      { Type: "ExpirationNotification", Version: "1.0", Attributes: { Before: "1", Unit: "Days" } },
      { Type: "NoChangeNotification", Version: "1.0", Attributes: { After: "12", Unit: "Hours" } },
    ];
    await put({ Name: "/pol/ttl", Value: "temporary", Type: "String", Tier: "Advanced", Policies: JSON.stringify(policies) });
    assert.deepEqual(
      (await policiesOf("/pol/ttl"))?.map((p) => [p.PolicyType, p.PolicyStatus]),
      [
        ["Expiration", "Pending"],
        ["ExpirationNotification", "Pending"],
        ["NoChangeNotification", "Pending"],
      ],
    );
    const arn = `arn:aws:ssm:us-east-1:${account}:parameter/pol/ttl`;
    const forTtl = (type: string) => (e: Event) => e.detail["parameter-name"] === "/pol/ttl" && e.detail["policy-type"] === type;

    await advance(11 * HOUR);
    assert.ok(!events.some(forTtl("NoChangeNotification")));
    await advance(2 * HOUR);
    const unchanged = await find("Parameter Store Policy Action", forTtl("NoChangeNotification"));
    assert.deepEqual(unchanged.resources, [arn]);
    assert.equal(unchanged.detail["action-status"], "Finished");
    assert.equal(unchanged.detail["parameter-type"], "String");
    assert.match(String(unchanged.detail["action-reason"]), /12 Hours/);
    assert.equal((await policiesOf("/pol/ttl"))?.find((p) => p.PolicyType === "NoChangeNotification")?.PolicyStatus, "Finished");

    // A change restarts the no-change clock; the expiration stays where it was.
    await put({ Name: "/pol/ttl", Value: "changed", Overwrite: true });
    assert.equal((await policiesOf("/pol/ttl"))?.find((p) => p.PolicyType === "NoChangeNotification")?.PolicyStatus, "Pending");

    await advance(12 * HOUR); // 25 h after creation: one day before the expiration at 48 h
    const soon = await find("Parameter Store Policy Action", forTtl("ExpirationNotification"));
    assert.match(String(soon.detail["action-reason"]), /expires at/);
    await find("Parameter Store Policy Action", (e) => forTtl("NoChangeNotification")(e) && e !== unchanged);
    assert.equal((await ssm().send(new GetParameterCommand({ Name: "/pol/ttl" }))).Parameter?.Value, "changed");

    await advance(24 * HOUR);
    const expired = await find("Parameter Store Policy Action", forTtl("Expiration"));
    assert.deepEqual(expired.resources, [arn]);
    await assert.rejects(ssm().send(new GetParameterCommand({ Name: "/pol/ttl" })), { name: "ParameterNotFound" });
    await find("Parameter Store Change", (e) => e.detail.operation === "Delete" && e.detail.name === "/pol/ttl");
    // Each notification fired once.
    assert.equal(events.filter(forTtl("ExpirationNotification")).length, 1);
    assert.equal(events.filter(forTtl("Expiration")).length, 1);
  });
});
