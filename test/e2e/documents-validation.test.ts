import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateDocumentCommand, type CreateDocumentCommandInput, DescribeDocumentCommand, GetDocumentCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { awsCli, startServer, type TestServer } from "../harness/index.js";

const json = (v: unknown) => JSON.stringify(v, null, 2);

describe("Documents: content validation per document type", () => {
  let server: TestServer;
  let ssm: SSMClient;
  let n = 0;
  const create = (input: Omit<CreateDocumentCommandInput, "Name"> & { Name?: string }) => ssm.send(new CreateDocumentCommand({ Name: `Doc${++n}`, ...input }));
  const invalid = (input: Omit<CreateDocumentCommandInput, "Name">, message: RegExp, name = "InvalidDocumentContent") =>
    assert.rejects(create(input), { name, message });

  before(async () => {
    server = await startServer();
    ssm = server.ssm();
  });
  after(async () => server?.destroy());

  it("Command 2.2: names the field and line of what is wrong", async () => {
    const yaml = [
      "schemaVersion: '2.2'",
      "description: typo in the action",
      "mainSteps:",
      "  - action: aws:runShelScript",
      "    name: one",
      "    inputs:",
      "      runCommand: [ls]",
    ].join("\n");
    await invalid({ Content: yaml, DocumentFormat: "YAML" }, /mainSteps\[0\]\.action \(line 4\): 'aws:runShelScript' is not a plugin/);
    await invalid(
      { Content: "schemaVersion: '2.2'\nmainSteps:\n  - action: aws:runShellScript\n    name: a\n    inputs: {}\n", DocumentFormat: "YAML" },
      /mainSteps\[0\]\.inputs.*runCommand/,
    );
    const steps = (extra: object[]) => json({ schemaVersion: "2.2", mainSteps: extra });
    const step = (o: object) => ({ action: "aws:runShellScript", name: "s", inputs: { runCommand: ["ls"] }, ...o });
    await invalid({ Content: steps([step({}), step({})]) }, /mainSteps\[1\]\.name.*unique/);
    await invalid({ Content: steps([step({ name: "bad name!" })]) }, /mainSteps\[0\]\.name/);
    await invalid(
      { Content: steps([step({ precondition: { StringEquals: ["platformType", "Solaris"] } })]) },
      /precondition\.StringEquals\[1\].*Windows, Linux or MacOS/,
    );
    await invalid({ Content: steps([step({ precondition: { StringEquals: ["platformType", "Windows"] } })]) }, /where aws:runShellScript does not run/);
    await invalid({ Content: steps([step({ precondition: { StringLike: ["platformType", "Linux"] } })]) }, /StringEquals/);
    await invalid({ Content: steps([]) }, /mainSteps.*at least one step/);
    await invalid(
      { Content: json({ schemaVersion: "2.0", mainSteps: [step({ precondition: { StringEquals: ["platformType", "Linux"] } })] }) },
      /needs schemaVersion 2\.2/,
    );
    await invalid({ Content: json({ schemaVersion: "2.2", runtimeConfig: {} }) }, /runtimeConfig.*schemaVersion 1\.2/);
    await invalid({ Content: json({ schemaVersion: "9.9", mainSteps: [step({})] }) }, /schemaVersion 9\.9 is not supported/, "InvalidDocumentSchemaVersion");
    await invalid({ Content: json({ mainSteps: [step({})] }) }, /schemaVersion.*required/);
    await invalid(
      { Content: json({ schemaVersion: "2.2", mainSteps: [step({ action: "aws:runDocument", inputs: { documentType: "Elsewhere", documentPath: "x" } })] }) },
      /documentType.*SSMDocument, LocalPath/,
    );
    await invalid({ Content: '{\n  "schemaVersion": "2.2",\n  "mainSteps": [\n}' }, /not valid JSON \(line 4/);
    await invalid({ Content: "schemaVersion: '2.2'\nmainSteps:\n  - name: [unclosed\n", DocumentFormat: "YAML" }, /not valid YAML \(line/);
    await invalid({ Content: "[1, 2]" }, /must be a JSON object/);
  });

  it("Command: derives platform types from the plugins and preconditions, and accepts 1.2 runtimeConfig", async () => {
    const both = await create({
      Content: json({
        schemaVersion: "2.2",
        mainSteps: [
          { action: "aws:runShellScript", name: "linux", precondition: { StringEquals: ["platformType", "Linux"] }, inputs: { runCommand: ["uname"] } },
          { action: "aws:runPowerShellScript", name: "windows", precondition: { StringEquals: ["platformType", "Windows"] }, inputs: { runCommand: ["ver"] } },
        ],
      }),
    });
    assert.deepEqual(both.DocumentDescription?.PlatformTypes, ["Windows", "Linux"]);
    const ps = await create({
      Content: json({ schemaVersion: "2.2", mainSteps: [{ action: "aws:runPowerShellScript", name: "ps", inputs: { runCommand: "Get-Date" } }] }),
    });
    assert.deepEqual(ps.DocumentDescription?.PlatformTypes, ["Windows", "Linux", "MacOS"]);
    const legacy = await create({
      Content: json({
        schemaVersion: "1.2",
        parameters: { commands: { type: "StringList" } },
        runtimeConfig: { "aws:runShellScript": { properties: [{ id: "0.aws:runShellScript", runCommand: "{{ commands }}" }] } },
      }),
    });
    assert.equal(legacy.DocumentDescription?.SchemaVersion, "1.2");
    assert.deepEqual(legacy.DocumentDescription?.PlatformTypes, ["Linux", "MacOS"]);
    await invalid(
      { Content: json({ schemaVersion: "1.2", runtimeConfig: { "aws:runShellScript": { properties: [{ id: "x" }] } } }) },
      /runtimeConfig\.aws:runShellScript\.properties\[0\].*runCommand/,
    );
    // YAML's unquoted numbers are schema versions too.
    const unquoted = await create({
      Content: "schemaVersion: 2.2\nmainSteps:\n  - action: aws:runShellScript\n    name: a\n    inputs:\n      runCommand: [ls]\n",
      DocumentFormat: "YAML",
    });
    assert.equal(unquoted.DocumentDescription?.SchemaVersion, "2.2");
  });

  it("parameters block: types, defaults, allowedValues, allowedPattern, min/max items and chars", async () => {
    const doc = (parameters: object) =>
      json({ schemaVersion: "2.2", parameters, mainSteps: [{ action: "aws:runShellScript", name: "a", inputs: { runCommand: ["ls"] } }] });
    const ok = await create({
      Content: doc({
        s: { type: "String", default: "a", allowedValues: ["a", "b"], description: "s" },
        l: { type: "StringList", default: ["x", "y"], minItems: 1, maxItems: 3, allowedPattern: "^[a-z]$" },
        i: { type: "Integer", default: 5 },
        b: { type: "Boolean", default: true },
        m: { type: "StringMap", default: { k: "v" } },
        ml: { type: "MapList", default: [{ k: "v" }] },
        c: { type: "String", minChars: 1, maxChars: 8, default: "abc" },
        ref: { type: "String", default: "{{ssm:/app/name}}" },
      }),
    });
    assert.deepEqual(
      ok.DocumentDescription?.Parameters?.map((p) => [p.Name, p.Type, p.DefaultValue]),
      [
        ["s", "String", "a"],
        ["l", "StringList", '["x","y"]'],
        ["i", "Integer", "5"],
        ["b", "Boolean", "true"],
        ["m", "StringMap", '{"k":"v"}'],
        ["ml", "MapList", '[{"k":"v"}]'],
        ["c", "String", "abc"],
        ["ref", "String", "{{ssm:/app/name}}"],
      ],
    );
    await invalid({ Content: doc({ p: { type: "Text" } }) }, /parameters\.p\.type.*String, StringList, Integer, Boolean, MapList, StringMap/);
    await invalid({ Content: doc({ p: { type: "Integer", default: "five" } }) }, /parameters\.p\.default.*Integer/);
    await invalid(
      { Content: doc({ p: { type: "String", default: "c", allowedValues: ["a", "b"] } }) },
      /parameters\.p\.default.*not one of the allowed values/,
    );
    await invalid({ Content: doc({ p: { type: "String", default: "1x", allowedPattern: "^[0-9]+$" } }) }, /does not match the allowed pattern/);
    await invalid({ Content: doc({ p: { type: "String", allowedPattern: "([" } }) }, /allowedPattern.*not a valid regular expression/);
    await invalid({ Content: doc({ p: { type: "StringList", default: ["a", "b", "c"], maxItems: 2 } }) }, /at most 2/);
    await invalid({ Content: doc({ p: { type: "String", minItems: 1 } }) }, /minItems.*StringList and MapList/);
    await invalid({ Content: doc({ p: { type: "String", default: "toolongvalue", maxChars: 4 } }) }, /at most 4 are allowed/);
    await invalid({ Content: doc({ p: { type: "String", minChars: 5, maxChars: 2 } }) }, /larger than maxChars/);
    await invalid({ Content: doc({ "bad-name": { type: "String" } }) }, /parameters\.bad-name.*letters, digits and underscores/);
  });

  it("Automation 0.3: actions, step targets that exist, outputs with selectors", async () => {
    const base = {
      schemaVersion: "0.3",
      assumeRole: "{{ AutomationAssumeRole }}",
      parameters: { AutomationAssumeRole: { type: "String", default: "" }, InstanceId: { type: "AWS::EC2::Instance::Id" } },
      mainSteps: [
        {
          name: "describe",
          action: "aws:executeAwsApi",
          inputs: { Service: "ec2", Api: "DescribeInstances", InstanceIds: ["{{ InstanceId }}"] },
          outputs: [{ Name: "State", Selector: "$.Reservations[0].Instances[0].State.Name", Type: "String" }],
          onFailure: "step:cleanup",
        },
        {
          name: "choose",
          action: "aws:branch",
          inputs: { Choices: [{ NextStep: "wait", Variable: "{{ describe.State }}", StringEquals: "running" }], Default: "cleanup" },
        },
        { name: "wait", action: "aws:sleep", inputs: { Duration: "PT1M" }, nextStep: "cleanup" },
        { name: "cleanup", action: "aws:pause", inputs: {}, isEnd: true },
      ],
      outputs: ["describe.State"],
    };
    const ok = await create({ Content: json(base), DocumentType: "Automation" });
    assert.equal(ok.DocumentDescription?.SchemaVersion, "0.3");
    assert.equal(ok.DocumentDescription?.DocumentType, "Automation");
    const change = (f: (d: any) => void) => {
      const d = structuredClone(base) as any;
      f(d);
      return json(d);
    };
    await invalid(
      { Content: change((d) => (d.mainSteps[0].onFailure = "step:nowhere")), DocumentType: "Automation" },
      /mainSteps\[0\]\.onFailure.*'nowhere'.*does not have/,
    );
    await invalid({ Content: change((d) => (d.mainSteps[2].nextStep = "later")), DocumentType: "Automation" }, /mainSteps\[2\]\.nextStep/);
    await invalid({ Content: change((d) => (d.mainSteps[1].inputs.Choices[0].NextStep = "gone")), DocumentType: "Automation" }, /Choices\[0\]\.NextStep/);
    await invalid(
      { Content: change((d) => (d.mainSteps[0].action = "aws:runShellScript")), DocumentType: "Automation" },
      /not an automation action.*aws:runCommand/,
    );
    await invalid({ Content: change((d) => (d.mainSteps[0].inputs.Api = undefined)), DocumentType: "Automation" }, /aws:executeAwsApi needs the input Api/);
    await invalid({ Content: change((d) => (d.mainSteps[0].outputs[0].Selector = "Reservations")), DocumentType: "Automation" }, /Selector.*JSONPath/);
    await invalid({ Content: change((d) => (d.mainSteps[0].outputs[0].Type = "Float")), DocumentType: "Automation" }, /Type.*one of String/);
    await invalid({ Content: change((d) => (d.mainSteps[0].onFailure = "Retry")), DocumentType: "Automation" }, /onFailure.*Abort, Continue/);
    await invalid({ Content: change((d) => (d.outputs = ["nothere.Out"])), DocumentType: "Automation" }, /outputs\[0\]/);
    await invalid({ Content: change((d) => (d.schemaVersion = "2.2")), DocumentType: "Automation" }, /0\.3/, "InvalidDocumentSchemaVersion");
  });

  it("Session 1.0: session types, inputs and properties", async () => {
    const port = await create({
      DocumentType: "Session",
      Content: json({
        schemaVersion: "1.0",
        sessionType: "Port",
        parameters: { portNumber: { type: "String", default: "5432" } },
        properties: { portNumber: "{{ portNumber }}", type: "LocalPortForwarding" },
      }),
    });
    assert.deepEqual(port.DocumentDescription?.PlatformTypes, ["Windows", "Linux", "MacOS"]);
    const interactive = await create({
      DocumentType: "Session",
      Content: json({ schemaVersion: "1.0", sessionType: "InteractiveCommands", properties: { linux: { commands: "top", runAsElevated: false } } }),
    });
    assert.deepEqual(interactive.DocumentDescription?.PlatformTypes, ["Linux"]);
    await invalid(
      { DocumentType: "Session", Content: json({ schemaVersion: "1.0", sessionType: "Telnet" }) },
      /sessionType.*Standard_Stream, Port, InteractiveCommands, NonInteractiveCommands/,
    );
    await invalid(
      { DocumentType: "Session", Content: json({ schemaVersion: "1.0", sessionType: "Port", properties: {} }) },
      /properties\.portNumber.*required/,
    );
    await invalid(
      { DocumentType: "Session", Content: json({ schemaVersion: "1.0", sessionType: "InteractiveCommands", properties: { solaris: { commands: "x" } } }) },
      /properties\.solaris/,
    );
    await invalid(
      { DocumentType: "Session", Content: json({ schemaVersion: "1.0", sessionType: "Standard_Stream", inputs: { idleSessionTimeout: "90" } }) },
      /idleSessionTimeout.*1 to 60/,
    );
    await invalid(
      { DocumentType: "Session", Content: json({ schemaVersion: "1.0", sessionType: "Standard_Stream", inputs: { runAsEnabled: "maybe" } }) },
      /runAsEnabled.*true or false/,
    );
    await invalid({ DocumentType: "Session", Content: json({ schemaVersion: "2.2", sessionType: "Standard_Stream" }) }, /1\.0/, "InvalidDocumentSchemaVersion");
  });

  it("Package: Distributor manifests, VersionName from the manifest", async () => {
    const sha = "a".repeat(64);
    const manifest = {
      schemaVersion: "2.0",
      version: "1.2.3",
      publisher: "Example",
      packages: {
        ubuntu: { _any: { x86_64: { file: "tool-linux.zip" } } },
        windows: { _any: { x86_64: { file: "tool-win.zip" } } },
      },
      files: { "tool-linux.zip": { checksums: { sha256: sha } }, "tool-win.zip": { checksums: { sha256: sha } } },
    };
    const ok = await create({
      Name: "ExamplePackage",
      DocumentType: "Package",
      Content: json(manifest),
      Attachments: [{ Key: "SourceUrl", Values: ["https://example.com/packages/tool"] }],
    });
    assert.equal(ok.DocumentDescription?.VersionName, "1.2.3");
    assert.deepEqual(ok.DocumentDescription?.PlatformTypes, ["Windows", "Linux"]);
    const got = await ssm.send(new GetDocumentCommand({ Name: "ExamplePackage" }));
    assert.deepEqual(
      got.AttachmentsContent?.map((a) => [a.Name, a.Hash, a.Url]),
      [
        ["tool-linux.zip", sha, "https://example.com/packages/tool/tool-linux.zip"],
        ["tool-win.zip", sha, "https://example.com/packages/tool/tool-win.zip"],
      ],
    );
    const bad = (f: (m: any) => void) => {
      const m = structuredClone(manifest) as any;
      f(m);
      return json(m);
    };
    await invalid(
      { DocumentType: "Package", Content: bad((m) => (m.packages.ubuntu._any.x86_64.file = "missing.zip")) },
      /packages\.ubuntu\._any\.x86_64\.file.*files section does not list/,
    );
    await invalid(
      { DocumentType: "Package", Content: bad((m) => (m.packages.beos = { _any: { x86_64: { file: "tool-linux.zip" } } })) },
      /packages\.beos.*platform code/,
    );
    await invalid({ DocumentType: "Package", Content: bad((m) => (m.packages.ubuntu._any = { sparc: { file: "tool-linux.zip" } })) }, /sparc.*architecture/);
    await invalid({ DocumentType: "Package", Content: bad((m) => (m.files["tool-win.zip"].checksums.sha256 = "abc")) }, /sha256.*64 hex digits/);
    await invalid({ DocumentType: "Package", Content: bad(() => {}), VersionName: "9.9" }, /differs from the manifest's version 1\.2\.3/);
  });

  it("ChangeCalendar: seed 003's JSON events verbatim, iCalendar in TEXT, and their mistakes", async () => {
    const seed = await awsCli(server, [
      "ssm",
      "create-document",
      "--name",
      "MyChangeCalendar",
      "--content",
      `file://${new URL("../fixtures/documents/calendar.json.txt", import.meta.url).pathname}`,
      "--document-type",
      "ChangeCalendar",
    ]);
    assert.equal(seed.code, 0, seed.stderr);
    assert.equal(seed.json.DocumentDescription.DocumentType, "ChangeCalendar");
    assert.equal(seed.json.DocumentDescription.Description, "Change Calendar for Black Friday freeze");
    const ics = [
      "BEGIN:VCALENDAR",
      "PRODID:-//openssm test//EN",
      "VERSION:2.0",
      "X-CALENDAR-TYPE:DEFAULT_OPEN",
      "X-WR-CALDESC:Release freezes",
      "BEGIN:VEVENT",
      "UID:freeze-1",
      "SUMMARY:Year-end freeze",
      "DTSTART:20241220T000000Z",
      "DTEND:20250102T000000Z",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:monthly",
      "SUMMARY:Patch window",
      "DTSTART:20240106T020000Z",
      "DTEND:20240106T060000Z",
      "RRULE:FREQ=MONTHLY;BYDAY=1SA",
      "END:VEVENT",
      "END:VCALENDAR",
      "",
    ].join("\r\n");
    const cal = await create({ Name: "Freezes", DocumentType: "ChangeCalendar", DocumentFormat: "TEXT", Content: ics });
    assert.equal(cal.DocumentDescription?.DocumentFormat, "TEXT");
    assert.equal((await ssm.send(new GetDocumentCommand({ Name: "Freezes" }))).Content, ics);
    await assert.rejects(ssm.send(new GetDocumentCommand({ Name: "Freezes", DocumentFormat: "JSON" })), { name: "ValidationException", message: /TEXT/ });
    await invalid({ DocumentType: "ChangeCalendar", DocumentFormat: "TEXT", Content: "hello" }, /not valid iCalendar/);
    await invalid({ DocumentType: "ChangeCalendar", DocumentFormat: "TEXT", Content: ics.replace("VERSION:2.0", "VERSION:1.0") }, /VERSION must be 2\.0/);
    await invalid({ DocumentType: "ChangeCalendar", DocumentFormat: "TEXT", Content: ics.replace("DEFAULT_OPEN", "SOMETIMES") }, /X-CALENDAR-TYPE/);
    await invalid(
      { DocumentType: "ChangeCalendar", DocumentFormat: "TEXT", Content: ics.replace("DTEND:20250102T000000Z", "DTEND:20231231T000000Z") },
      /Year-end freeze.*ends.*before it starts/,
    );
    const event = (e: object) =>
      json({
        schemaVersion: "1.0",
        calendarEvents: [{ name: "e", type: "ALLOWED", startTime: "2024-01-01T00:00:00Z", endTime: "2024-01-02T00:00:00Z", ...e }],
      });
    await invalid({ DocumentType: "ChangeCalendar", Content: event({ type: "MAYBE" }) }, /calendarEvents\[0\]\.type.*ALLOWED, NOT_ALLOWED/);
    await invalid({ DocumentType: "ChangeCalendar", Content: event({ startTime: "tomorrow" }) }, /calendarEvents\[0\]\.startTime.*ISO 8601/);
    await invalid({ DocumentType: "ChangeCalendar", Content: event({ endTime: "2023-01-01T00:00:00Z" }) }, /endTime.*later than startTime/);
    await invalid({ DocumentType: "Command", DocumentFormat: "TEXT", Content: "echo hi" }, /JSON or YAML/);
  });

  it("Automation.ChangeTemplate, Policy and the types checked only for syntax", async () => {
    const template = {
      schemaVersion: "0.3",
      templateInformation: "### Restart web servers",
      emergencyChange: false,
      autoApprovable: false,
      executableRunBooks: [{ name: "AWS-RestartEC2Instance", version: "$DEFAULT" }],
      changeCalendar: { type: "ChangeCalendar", documentName: "MyChangeCalendar" },
      mainSteps: [
        {
          name: "approve",
          action: "aws:approve",
          timeoutSeconds: 3600,
          inputs: { Message: "Approve the restart", EnhancedApprovals: { Approvers: [{ approver: "ops", type: "IamGroup", minRequiredApprovals: 1 }] } },
        },
      ],
    };
    const ok = await create({ DocumentType: "Automation.ChangeTemplate", Content: json(template) });
    assert.equal(ok.DocumentDescription?.DocumentType, "Automation.ChangeTemplate");
    const noApproval = { ...template, mainSteps: [{ name: "pause", action: "aws:pause", inputs: {} }] };
    await invalid({ DocumentType: "Automation.ChangeTemplate", Content: json(noApproval) }, /aws:approve/);

    const policy = await create({
      DocumentType: "Policy",
      Content: json({ schemaVersion: "2.0", mainSteps: [{ action: "aws:softwareInventory", name: "inv", inputs: { applications: "Enabled" } }] }),
    });
    assert.deepEqual(policy.DocumentDescription?.PlatformTypes, ["Windows", "Linux", "MacOS"]);
    const cfn = await create({ DocumentType: "CloudFormation", DocumentFormat: "YAML", Content: "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n" });
    assert.equal(cfn.DocumentDescription?.DocumentType, "CloudFormation");
    const appcfg = await create({ DocumentType: "ApplicationConfigurationSchema", Content: json({ type: "object" }) });
    assert.equal(
      (await ssm.send(new DescribeDocumentCommand({ Name: String(appcfg.DocumentDescription?.Name) }))).Document?.DocumentType,
      "ApplicationConfigurationSchema",
    );
    await assert.rejects(create({ DocumentType: "DeploymentStrategy", Content: "{}" }), { name: "InvalidDocumentType" });
    await assert.rejects(create({ DocumentType: "Bogus" as never, Content: "{}" }), { name: "ValidationException" });
  });

  it("refuses a YAML alias bomb (billion laughs) as InvalidDocumentContent, and keeps serving", async () => {
    const lines = ["schemaVersion: '2.2'", `a: &a [${Array(9).fill('"lol"').join(", ")}]`];
    let previous = "a";
    for (const anchor of ["b", "c", "d", "e", "f", "g", "h", "i"]) {
      lines.push(`${anchor}: &${anchor} [${Array(9).fill(`*${previous}`).join(", ")}]`);
      previous = anchor;
    }
    lines.push("mainSteps:", "  - action: aws:runShellScript", "    name: one", "    inputs:", "      runCommand: *i");
    await invalid({ Content: lines.join("\n"), DocumentFormat: "YAML" }, /not valid YAML.*alias/i);
    // A few aliases are fine: they are ordinary YAML.
    const small = [
      "schemaVersion: '2.2'",
      "x: &cmd [echo hi]",
      "mainSteps:",
      "  - action: aws:runShellScript",
      "    name: one",
      "    inputs:",
      "      runCommand: *cmd",
    ];
    await create({ Content: small.join("\n"), DocumentFormat: "YAML" });
    assert.equal((await fetch(`${server.endpoint}/health`)).status, 200);
  });
});
