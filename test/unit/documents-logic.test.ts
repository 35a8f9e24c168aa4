import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { builtinCatalog } from "../../packages/server/src/capabilities/documents/builtin/catalog.js";
import { convertContent, lineOfPath, parseContent } from "../../packages/server/src/capabilities/documents/content.js";
import { substituteParameters } from "../../packages/server/src/capabilities/documents/substitute.js";
import { validateDocumentContent } from "../../packages/server/src/capabilities/documents/validate/index.js";
import { constraintProblem, fitsType } from "../../packages/server/src/capabilities/documents/validate/parameters-block.js";

describe("substituteParameters (as the agent substitutes)", () => {
  const params = { commands: ["ls", "pwd"], dir: "/tmp", count: 3, map: { a: "b" } };
  test("a string that is exactly one reference takes the value itself", () => {
    assert.deepEqual(substituteParameters({ runCommand: "{{ commands }}" }, params), { runCommand: ["ls", "pwd"] });
    assert.deepEqual(substituteParameters("{{map}}", params), { a: "b" });
    assert.equal(substituteParameters("{{  count }}", params), 3);
  });
  test("references inside longer strings become text (JSON for lists and maps)", () => {
    assert.equal(substituteParameters("cd {{ dir }} && echo {{count}}", params), "cd /tmp && echo 3");
    assert.equal(substituteParameters("run {{ commands }}", params), 'run ["ls","pwd"]');
  });
  test("walks arrays and objects, leaves unknown names, {{ssm:...}} and other values alone", () => {
    const doc = { mainSteps: [{ inputs: { runCommand: ["echo {{ dir }}", "{{ssm:/x}}", "{{ other }}"], timeout: 5, flag: true, none: null } }] };
    assert.deepEqual(substituteParameters(doc, params), {
      mainSteps: [{ inputs: { runCommand: ["echo /tmp", "{{ssm:/x}}", "{{ other }}"], timeout: 5, flag: true, none: null } }],
    });
  });
  test("does not share the parameter's objects with the result", () => {
    const out = substituteParameters("{{ commands }}", params) as string[];
    out.push("mutated");
    assert.deepEqual(params.commands, ["ls", "pwd"]);
  });
});

describe("content parsing and positions", () => {
  test("a JSON syntax error names the line and column of the first bad character", () => {
    assert.throws(() => parseContent('{"a": 1,}', "JSON"), /\(line 1, column 9\): Expected double-quoted property name\./);
    assert.throws(() => parseContent('{"a": [1 2]}', "JSON"), /\(line 1, column 10\)/);
    assert.throws(() => parseContent('{\n  "a": tru}', "JSON"), /\(line 2, column 8\): Unexpected token/);
    assert.throws(() => parseContent('{"a": "x', "JSON"), /\(line 1, column \d+\): Unterminated string/);
    assert.throws(() => parseContent("[1] x", "JSON"), /\(line 1, column 5\): Unexpected non-whitespace character after JSON/);
  });
  test("parse errors name the line, for JSON and YAML", () => {
    assert.throws(() => parseContent('{\n  "a": 1,\n  "b" 2\n}', "JSON"), /line 3, column 7/);
    assert.throws(() => parseContent("a: 1\nb: [1, 2\n", "YAML"), /not valid YAML \(line/);
    assert.throws(() => parseContent("a: 1\na: 2\n", "YAML"), /not valid YAML/);
    assert.throws(() => parseContent('"just a string"', "JSON"), /must be a JSON object/);
    assert.deepEqual(parseContent("anything", "TEXT"), {});
  });
  test("lineOfPath finds keys and list items in YAML and JSON", () => {
    const yaml = "schemaVersion: '2.2'\nmainSteps:\n  - name: a\n    action: x\n  - name: b\n    action: y\n";
    assert.equal(lineOfPath(yaml, "YAML", ["mainSteps", 1, "action"]), 6);
    const json = JSON.stringify({ schemaVersion: "2.2", mainSteps: [{ name: "a" }, { name: "b", action: "y" }] }, null, 2);
    assert.equal(lineOfPath(json, "JSON", ["mainSteps", 1, "action"]), 9);
    assert.equal(lineOfPath("x", "TEXT", ["a"]), undefined);
  });
  test("convertContent turns JSON into YAML and back; TEXT stays TEXT", () => {
    const raw = '{"schemaVersion":"2.2","list":[1,2]}';
    const parsed = JSON.parse(raw);
    const yaml = convertContent(raw, "JSON", "YAML", parsed, "d");
    assert.match(yaml, /schemaVersion: "2.2"/);
    assert.deepEqual(JSON.parse(convertContent(yaml, "YAML", "JSON", parseContent(yaml, "YAML"), "d")), parsed);
    assert.equal(convertContent(raw, "JSON", undefined, parsed, "d"), raw);
    assert.throws(() => convertContent("BEGIN:VCALENDAR", "TEXT", "YAML", {}, "cal"), /stored as TEXT/);
  });
});

describe("parameter values and constraints", () => {
  test("fitsType", () => {
    assert.ok(fitsType("Integer", 3) && fitsType("Integer", "-4") && !fitsType("Integer", 1.5));
    assert.ok(fitsType("Boolean", "true") && !fitsType("Boolean", "yes"));
    assert.ok(fitsType("MapList", [{ a: 1 }]) && !fitsType("MapList", [1]));
    assert.ok(fitsType("StringMap", "{{ssm:/x}}"), "a reference stands for any value");
  });
  test("constraintProblem checks every item of a list", () => {
    const decl = { type: "StringList" as const, allowedPattern: "^[a-z]+$", maxItems: 2, minChars: 2 };
    assert.equal(constraintProblem(decl, ["ab", "cd"]), null);
    assert.match(String(constraintProblem(decl, ["ab", "C1"])), /'C1' does not match/);
    assert.match(String(constraintProblem(decl, ["ab", "cd", "ef"])), /at most 2/);
    assert.match(String(constraintProblem(decl, ["a"])), /shorter than 2/);
    assert.match(String(constraintProblem({ type: "Integer", allowedValues: [1, 2] }, 3)), /not one of the allowed values: 1, 2/);
  });
});

describe("validateDocumentContent", () => {
  test("Command documents get their platforms from their plugins", () => {
    const doc = (action: string) =>
      JSON.stringify({ schemaVersion: "2.2", mainSteps: [{ action, name: "s", inputs: { runCommand: "x", name: "p", action: "Install" } }] });
    assert.deepEqual(validateDocumentContent("Command", "JSON", doc("aws:runShellScript")).validated.platformTypes, ["Linux", "MacOS"]);
    assert.deepEqual(validateDocumentContent("Command", "JSON", doc("aws:psModule")).validated.platformTypes, ["Windows"]);
    assert.deepEqual(validateDocumentContent("Command", "JSON", doc("aws:configurePackage")).validated.platformTypes, ["Windows", "Linux", "MacOS"]);
  });
  test("errors name the field and its line", () => {
    const yaml = "schemaVersion: '2.2'\nmainSteps:\n  - name: one\n    action: aws:runShellScript\n    inputs:\n      runCommand: 5\n";
    assert.throws(
      () => validateDocumentContent("Command", "YAML", yaml),
      /mainSteps\[0\]\.inputs\.runCommand \(line 6\): must be a string or a list of strings/,
    );
  });
  test("every built-in document passes the validators and names its parameters", () => {
    const catalog = builtinCatalog();
    assert.ok(catalog.size >= 12);
    for (const d of catalog.values()) {
      assert.equal(validateDocumentContent(d.documentType, d.format, d.raw).validated.schemaVersion, d.validated.schemaVersion);
      assert.ok(d.hash.match(/^[0-9a-f]{64}$/));
    }
    assert.equal(catalog.get("SSM-SessionManagerRunShell")?.perAccount, true);
    assert.equal(catalog.get("AWS-RunShellScript")?.perAccount, false);
  });
});
