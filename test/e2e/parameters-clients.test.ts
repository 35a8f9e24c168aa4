import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { awsCli, boto3, startServer, type TestServer } from "../harness/index.js";

/** The seed's Parameter Store walk-through, through the aws CLI v2 and boto3, errors included. */
describe("Parameter Store through the aws CLI and boto3", () => {
  let server: TestServer;
  const cli = async (...args: string[]) => {
    const r = await awsCli(server, args);
    assert.equal(r.code, 0, `aws ${args.join(" ")}: ${r.stderr}`);
    return r.json;
  };
  const cliError = async (...args: string[]) => {
    const r = await awsCli(server, args);
    assert.notEqual(r.code, 0, `aws ${args.join(" ")} should have failed`);
    return r.stderr;
  };
  const py = async (code: string) => {
    const r = await boto3(server, code);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split("\n").pop() ?? "null");
  };

  before(async () => {
    server = await startServer();
  });
  after(async () => server?.destroy());

  it("walks the seed: a SecureString under a customer key, a hierarchy, get-parameters-by-path --recursive --with-decryption", async () => {
    const key = await cli("kms", "create-key", "--description", "myapp key");
    await cli("kms", "create-alias", "--alias-name", "alias/myapp-key", "--target-key-id", key.KeyMetadata.KeyId);
    const put = await cli(
      "ssm",
      "put-parameter",
      "--name",
      "/myapp/prod/database/password",
      "--value",
      "MySecurePassword123",
      "--type",
      "SecureString",
      "--key-id",
      "alias/myapp-key",
    );
    assert.deepEqual(put, { Version: 1, Tier: "Standard" });
    await Promise.all([
      cli("ssm", "put-parameter", "--name", "/myapp/prod/database/host", "--value", "db.prod.internal", "--type", "String"),
      cli("ssm", "put-parameter", "--name", "/myapp/prod/feature-flags/new-checkout", "--value", "enabled", "--type", "String"),
      cli("ssm", "put-parameter", "--name", "/myapp/dev/database/host", "--value", "db.dev.internal", "--type", "String"),
    ]);

    const [got, hidden, tree, described] = await Promise.all([
      cli("ssm", "get-parameter", "--name", "/myapp/prod/database/password", "--with-decryption"),
      cli("ssm", "get-parameter", "--name", "/myapp/prod/database/password"),
      cli("ssm", "get-parameters-by-path", "--path", "/myapp/prod", "--recursive", "--with-decryption"),
      cli("ssm", "describe-parameters", "--parameter-filters", "Key=Name,Values=/myapp/prod/database/password"),
    ]);
    assert.equal(got.Parameter.Value, "MySecurePassword123");
    assert.equal(got.Parameter.Type, "SecureString");
    assert.notEqual(hidden.Parameter.Value, "MySecurePassword123");
    assert.deepEqual(
      tree.Parameters.map((p: { Name: string; Value: string }) => [p.Name, p.Value]),
      [
        ["/myapp/prod/database/host", "db.prod.internal"],
        ["/myapp/prod/database/password", "MySecurePassword123"],
        ["/myapp/prod/feature-flags/new-checkout", "enabled"],
      ],
    );
    assert.equal(described.Parameters[0].KeyId, "alias/myapp-key");
  });

  it("reports AWS's error names to the aws CLI", async () => {
    const [notFound, exists, reserved, version, key] = await Promise.all([
      cliError("ssm", "get-parameter", "--name", "/myapp/none"),
      cliError("ssm", "put-parameter", "--name", "/myapp/dev/database/host", "--value", "x", "--type", "String"),
      cliError("ssm", "put-parameter", "--name", "/aws/mine", "--value", "x", "--type", "String"),
      cliError("ssm", "get-parameter", "--name", "/myapp/dev/database/host:9"),
      cliError("ssm", "put-parameter", "--name", "/myapp/x", "--value", "x", "--type", "SecureString", "--key-id", "alias/nope"),
    ]);
    assert.match(notFound, /ParameterNotFound/);
    assert.match(exists, /ParameterAlreadyExists/);
    assert.match(reserved, /AccessDeniedException.*No access to reserved parameter name: aws\/mine\./);
    assert.match(version, /ParameterVersionNotFound/);
    assert.match(key, /InvalidKeyId/);
  });

  it("versions, labels and history through the aws CLI", async () => {
    await cli("ssm", "put-parameter", "--name", "/myapp/dev/database/host", "--value", "db2.dev.internal", "--overwrite");
    const labelled = await cli(
      "ssm",
      "label-parameter-version",
      "--name",
      "/myapp/dev/database/host",
      "--parameter-version",
      "1",
      "--labels",
      "previous",
      "9bad",
    );
    assert.deepEqual(labelled, { InvalidLabels: ["9bad"], ParameterVersion: 1 });
    const [prev, history, many] = await Promise.all([
      cli("ssm", "get-parameter", "--name", "/myapp/dev/database/host:previous"),
      cli("ssm", "get-parameter-history", "--name", "/myapp/dev/database/host"),
      cli("ssm", "get-parameters", "--names", "/myapp/dev/database/host:1", "/myapp/none"),
    ]);
    assert.equal(prev.Parameter.Value, "db.dev.internal");
    assert.equal(prev.Parameter.Selector, ":previous");
    assert.deepEqual(
      history.Parameters.map((p: { Version: number; Labels: string[] }) => [p.Version, p.Labels]),
      [
        [1, ["previous"]],
        [2, []],
      ],
    );
    assert.deepEqual(many.InvalidParameters, ["/myapp/none"]);
  });

  it("policies, tags and deletes through the aws CLI", async () => {
    const policies = JSON.stringify([
      { Type: "Expiration", Version: "1.0", Attributes: { Timestamp: new Date(Date.now() + 30 * 86_400_000).toISOString() } },
      { Type: "NoChangeNotification", Version: "1.0", Attributes: { After: "60", Unit: "Days" } },
    ]);
    const put = await cli(
      "ssm",
      "put-parameter",
      "--name",
      "/Finance/Payroll/elixir3131",
      "--value",
      "P@sSwW)rd",
      "--type",
      "SecureString",
      "--tier",
      "Advanced",
      "--policies",
      policies,
    );
    assert.equal(put.Tier, "Advanced");
    const [d] = await Promise.all([
      cli("ssm", "describe-parameters", "--parameter-filters", "Key=Path,Option=Recursive,Values=/Finance"),
      cli("ssm", "add-tags-to-resource", "--resource-type", "Parameter", "--resource-id", "/Finance/Payroll/elixir3131", "--tags", "Key=team,Value=payroll"),
    ]);
    assert.deepEqual(
      d.Parameters[0].Policies.map((p: { PolicyType: string; PolicyStatus: string }) => [p.PolicyType, p.PolicyStatus]),
      [
        ["Expiration", "Pending"],
        ["NoChangeNotification", "Pending"],
      ],
    );
    const tagged = await cli("ssm", "describe-parameters", "--parameter-filters", "Key=tag:team,Values=payroll");
    assert.deepEqual(
      tagged.Parameters.map((p: { Name: string }) => p.Name),
      ["/Finance/Payroll/elixir3131"],
    );
    const [, del] = await Promise.all([
      cli("ssm", "delete-parameter", "--name", "/Finance/Payroll/elixir3131"),
      cli("ssm", "delete-parameters", "--names", "/myapp/prod/feature-flags/new-checkout", "/myapp/none"),
    ]);
    assert.deepEqual(del, { DeletedParameters: ["/myapp/prod/feature-flags/new-checkout"], InvalidParameters: ["/myapp/none"] });
  });

  it("works from boto3: put, get, paginators and error codes", async () => {
    const out = await py(`
ssm.put_parameter(Name='/py/app/url', Value='https://example.com', Type='String', Tags=[{'Key': 'owner', 'Value': 'py'}])
ssm.put_parameter(Name='/py/app/token', Value='py-secret-token', Type='SecureString')
for i in range(25):
    ssm.put_parameter(Name='/py/many/p%02d' % i, Value=str(i), Type='String')
codes = []
for call in [
    lambda: ssm.get_parameter(Name='/py/none'),
    lambda: ssm.put_parameter(Name='/py/app/url', Value='x', Type='String'),
    lambda: ssm.put_parameter(Name='ssm-reserved', Value='x', Type='String'),
    lambda: ssm.get_parameter(Name='/py/app/url:5'),
    lambda: ssm.describe_parameters(ParameterFilters=[{'Key': 'Label', 'Values': ['x']}]),
]:
    try:
        call()
        codes.append('no error')
    except ClientError as e:
        codes.append(e.response['Error']['Code'])
token = ssm.get_parameter(Name='/py/app/token', WithDecryption=True)['Parameter']['Value']
by_path = [p['Name'] for page in ssm.get_paginator('get_parameters_by_path').paginate(Path='/py', Recursive=True) for p in page['Parameters']]
described = [p['Name'] for page in ssm.get_paginator('describe_parameters').paginate(ParameterFilters=[{'Key': 'Path', 'Values': ['/py/many']}], PaginationConfig={'PageSize': 7}) for p in page['Parameters']]
ssm.put_parameter(Name='/py/app/url', Value='https://example.org', Overwrite=True)
ssm.label_parameter_version(Name='/py/app/url', Labels=['stable'], ParameterVersion=1)
history = [(p['Version'], p['Labels']) for page in ssm.get_paginator('get_parameter_history').paginate(Name='/py/app/url') for p in page['Parameters']]
stable = ssm.get_parameter(Name='/py/app/url:stable')['Parameter']['Value']
tags = ssm.list_tags_for_resource(ResourceType='Parameter', ResourceId='/py/app/url')['TagList']
print(json.dumps({'codes': codes, 'token': token, 'by_path': len(by_path), 'described': len(described), 'history': history, 'stable': stable, 'tags': tags}))
`);
    assert.deepEqual(out.codes, ["ParameterNotFound", "ParameterAlreadyExists", "ValidationException", "ParameterVersionNotFound", "InvalidFilterKey"]);
    assert.equal(out.token, "py-secret-token");
    assert.equal(out.by_path, 27);
    assert.equal(out.described, 25);
    assert.deepEqual(out.history, [
      [1, ["stable"]],
      [2, []],
    ]);
    assert.equal(out.stable, "https://example.com");
    assert.deepEqual(out.tags, [{ Key: "owner", Value: "py" }]);
  });
});
