import assert from "node:assert/strict";
import { test } from "node:test";
import { decideStep } from "../src/commands/step-decision.js";
import { documentContent, parseDocument } from "../src/documents/document-steps.js";
import { normalizeParameters, substituteParameters } from "../src/documents/parameters.js";

const runShell22 = {
  schemaVersion: "2.2",
  parameters: {
    commands: { type: "StringList" },
    workingDirectory: { type: "String", default: "" },
    executionTimeout: { type: "String", default: "3600" },
  },
  mainSteps: [
    {
      action: "aws:runShellScript",
      name: "runShellScript",
      precondition: { StringEquals: ["platformType", "Linux"] },
      inputs: { runCommand: "{{ commands }}", workingDirectory: "{{ workingDirectory }}", timeoutSeconds: "{{ executionTimeout }}" },
    },
    { action: "aws:runPowerShellScript", name: "windows", precondition: { StringEquals: ["platformType", "Windows"] }, inputs: { runCommand: ["dir"] } },
  ],
};

test("parameters: Run Command's lists become strings for String parameters, defaults fill in", () => {
  const p = normalizeParameters({ commands: ["echo a", "echo b"], executionTimeout: ["60"] }, runShell22.parameters);
  assert.deepEqual(p, { commands: ["echo a", "echo b"], executionTimeout: "60", workingDirectory: "" });
});

test("substitution: a whole {{ name }} becomes the value (lists stay lists), inside text the JSON of it", () => {
  const params = { commands: ["a", "b"], dir: "/tmp" };
  assert.deepEqual(substituteParameters({ runCommand: "{{ commands }}", cd: "cd {{dir}} && {{ commands }}", keep: "{{ other }}" }, params), {
    runCommand: ["a", "b"],
    cd: 'cd /tmp && ["a","b"]',
    keep: "{{ other }}",
  });
});

test("schema 2.2: steps, inputs substituted, preconditions resolved", () => {
  const doc = parseDocument(runShell22, { commands: ["echo hi"] });
  assert.equal(doc.preconditionsEnabled, true);
  assert.equal(doc.steps.length, 2);
  assert.deepEqual(doc.steps[0].inputs, { runCommand: ["echo hi"], workingDirectory: "", timeoutSeconds: "3600" });
  assert.equal(decideStep(doc, [], 0, "Linux").kind, "execute");
  const win = decideStep(doc, [], 1, "Linux");
  assert.equal(win.kind, "skip");
  assert.match((win as { message: string }).message, /unsupported plugin: aws:runPowerShellScript/);
});

test("schema 2.2: a Windows-only step with a supported plugin is skipped for its precondition", () => {
  const doc = parseDocument(
    { schemaVersion: "2.2", mainSteps: [{ action: "aws:runShellScript", name: "s", precondition: { StringEquals: ["platformType", "Windows"] }, inputs: {} }] },
    {},
  );
  const d = decideStep(doc, [], 0, "Linux");
  assert.equal(d.kind, "skip");
  assert.match((d as { message: string }).message, /unsatisfied preconditions: '"StringEquals": \[platformType, Windows\]'/);
});

test("schema 1.2: runtimeConfig with properties; a precondition fails the step", () => {
  const doc = parseDocument(
    {
      schemaVersion: "1.2",
      parameters: { commands: { type: "StringList" } },
      runtimeConfig: { "aws:runShellScript": { properties: [{ id: "0.aws:runShellScript", runCommand: "{{ commands }}" }] } },
    },
    { commands: ["uptime"] },
  );
  assert.equal(doc.steps[0].id, "aws:runShellScript");
  assert.deepEqual(doc.steps[0].inputs, [{ id: "0.aws:runShellScript", runCommand: ["uptime"] }]);
  const pre = parseDocument(
    { schemaVersion: "2.0", mainSteps: [{ action: "aws:runShellScript", name: "s", precondition: { StringEquals: ["platformType", "Linux"] }, inputs: {} }] },
    {},
  );
  const d = decideStep(pre, [], 0, "Linux");
  assert.equal(d.kind, "fail");
  assert.match((d as { message: string }).message, /Precondition is not supported for document schema version prior to 2.2/);
});

test("unknown plugins fail; unsupported ones fail before 2.2", () => {
  const doc = parseDocument(
    {
      schemaVersion: "2.0",
      mainSteps: [
        { action: "aws:nothing", name: "x", inputs: {} },
        { action: "aws:runPowerShellScript", name: "y" },
      ],
    },
    {},
  );
  assert.match((decideStep(doc, [], 0, "Linux") as { message: string }).message, /not supported by this version of ssm agent/);
  assert.match((decideStep(doc, [], 1, "Linux") as { message: string }).message, /not supported in current platform/);
});

test("control flow: exit 168 and onFailure exit skip later steps, a finally step still runs", () => {
  const doc = parseDocument(
    {
      schemaVersion: "2.2",
      mainSteps: [
        { action: "aws:runShellScript", name: "a", inputs: { onFailure: "exit" } },
        { action: "aws:runShellScript", name: "b", inputs: {} },
        { action: "aws:runShellScript", name: "c", inputs: { finallyStep: true } },
      ],
    },
    {},
  );
  const failed = [{ id: "a", action: "aws:runShellScript", status: "Failed" as const, code: 1, output: "", startDateTime: "", endDateTime: "" }];
  assert.equal(decideStep(doc, failed, 1, "Linux").kind, "skip");
  assert.equal(decideStep(doc, failed, 2, "Linux").kind, "execute");
});

test("documents come as objects, JSON or YAML; unknown schemas are refused", async () => {
  assert.equal((await documentContent("schemaVersion: '2.2'\nmainSteps: []\n")).schemaVersion, "2.2");
  assert.equal((await documentContent('{"schemaVersion":"1.2"}')).schemaVersion, "1.2");
  await assert.rejects(documentContent("a: [unclosed"), /neither JSON nor YAML/);
  assert.throws(() => parseDocument({ schemaVersion: "0.3", mainSteps: [] }, {}), /Unsupported document/);
  assert.throws(() => parseDocument({ schemaVersion: "2.2", mainSteps: [] }, {}), /mainSteps/);
});
