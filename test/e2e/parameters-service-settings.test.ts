import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GetServiceSettingCommand, PutParameterCommand, ResetServiceSettingCommand, UpdateServiceSettingCommand } from "@aws-sdk/client-ssm";
import { awsCli, boto3, createUser, defaultAccountId, startServer, type TestServer } from "../harness/index.js";

const TIER = "/ssm/parameter-store/default-parameter-tier";

describe("service settings: the default parameter tier", () => {
  let server: TestServer;
  let account: string;
  before(async () => {
    server = await startServer();
    account = await defaultAccountId(server);
  });
  after(async () => server?.destroy());

  /** The tier an update without a Tier gives the parameter. */
  const tierOf = async (name: string) => (await server.ssm().send(new PutParameterCommand({ Name: name, Value: "again", Overwrite: true }))).Tier;

  it("starts at Standard, as AWS provisions it", async () => {
    const got = await server.ssm().send(new GetServiceSettingCommand({ SettingId: TIER }));
    assert.equal(got.ServiceSetting?.SettingValue, "Standard");
    assert.equal(got.ServiceSetting?.Status, "Default");
    assert.equal(got.ServiceSetting?.ARN, `arn:aws:ssm:${server.region}:${account}:servicesetting${TIER}`);
    const put = await server.ssm().send(new PutParameterCommand({ Name: "/tier/before", Value: "v", Type: "String" }));
    assert.equal(put.Tier, "Standard");
  });

  it("makes new parameters Advanced once set so with the aws CLI (ARN form), and upgrades one updated without a tier", async () => {
    const arn = `arn:aws:ssm:${server.region}:${account}:servicesetting${TIER}`;
    const update = await awsCli(server, ["ssm", "update-service-setting", "--setting-id", arn, "--setting-value", "Advanced"]);
    assert.equal(update.code, 0, update.stderr);
    const got = await awsCli(server, ["ssm", "get-service-setting", "--setting-id", TIER]);
    assert.equal(got.code, 0, got.stderr);
    const setting = (got.json as { ServiceSetting: Record<string, string> }).ServiceSetting;
    assert.equal(setting.SettingValue, "Advanced");
    assert.equal(setting.Status, "Customized");
    assert.equal(setting.LastModifiedUser, `arn:aws:iam::${account}:user/admin`);

    const put = await server.ssm().send(new PutParameterCommand({ Name: "/tier/after", Value: "v", Type: "String" }));
    assert.equal(put.Tier, "Advanced");
    // A tier in the request still wins.
    const standard = await server.ssm().send(new PutParameterCommand({ Name: "/tier/explicit", Value: "v", Type: "String", Tier: "Standard" }));
    assert.equal(standard.Tier, "Standard");
    assert.equal(await tierOf("/tier/before"), "Advanced");
  });

  it("with Intelligent-Tiering, keeps small parameters Standard and makes large ones Advanced", async () => {
    await server.ssm().send(new UpdateServiceSettingCommand({ SettingId: TIER, SettingValue: "Intelligent-Tiering" }));
    const small = await server.ssm().send(new PutParameterCommand({ Name: "/tier/small", Value: "v", Type: "String" }));
    assert.equal(small.Tier, "Standard");
    const large = await server.ssm().send(new PutParameterCommand({ Name: "/tier/large", Value: "x".repeat(5000), Type: "String" }));
    assert.equal(large.Tier, "Advanced");
  });

  it("resets to the default, and new parameters are Standard again; Advanced ones stay Advanced", async () => {
    const reset = await server.ssm().send(new ResetServiceSettingCommand({ SettingId: TIER }));
    assert.equal(reset.ServiceSetting?.SettingValue, "Standard");
    assert.equal(reset.ServiceSetting?.Status, "Default");
    const put = await server.ssm().send(new PutParameterCommand({ Name: "/tier/reset", Value: "v", Type: "String" }));
    assert.equal(put.Tier, "Standard");
    assert.equal(await tierOf("/tier/after"), "Advanced");
  });

  it("refuses unknown settings, values that are not allowed, and callers without permission, with AWS's error names (boto3)", async () => {
    const out = await boto3(
      server,
      `
from botocore.exceptions import ClientError
for call in [
    lambda: ssm.get_service_setting(SettingId="/ssm/not/a/setting"),
    lambda: ssm.update_service_setting(SettingId="${TIER}", SettingValue="Premium"),
    lambda: ssm.get_service_setting(SettingId="arn:aws:ssm:${server.region}:000000000000:servicesetting${TIER}"),
]:
    try:
        call()
        print("OK")
    except ClientError as e:
        print(e.response["Error"]["Code"])
`,
    );
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(out.stdout.trim().split("\n"), ["ServiceSettingNotFound", "ValidationException", "ServiceSettingNotFound"]);

    const reader = await createUser(server, "settings-reader", [
      { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ssm:GetServiceSetting", Resource: `arn:aws:ssm:*:*:servicesetting${TIER}` }] },
    ]);
    const asReader = server.ssm(reader);
    assert.equal((await asReader.send(new GetServiceSettingCommand({ SettingId: TIER }))).ServiceSetting?.SettingValue, "Standard");
    await assert.rejects(asReader.send(new UpdateServiceSettingCommand({ SettingId: TIER, SettingValue: "Advanced" })), { name: "AccessDeniedException" });
  });
});
