import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exceptionMessageMember, kmsModel, redactInput, ssmModel, validateInput } from "@openssm/model";

const ssm = (op: string, input: unknown) => validateInput(ssmModel, op, input);
const kms = (op: string, input: unknown) => validateInput(kmsModel, op, input);

function validation(result: ReturnType<typeof validateInput>): string {
  assert.equal(result.ok, false, "expected a validation failure");
  if (result.ok) return "";
  assert.equal(result.error, "ValidationException", result.message);
  return result.message;
}

function serialization(result: ReturnType<typeof validateInput>): string {
  assert.equal(result.ok, false, "expected a serialization failure");
  if (result.ok) return "";
  assert.equal(result.error, "SerializationException", result.message);
  return result.message;
}

describe("model validation: AWS's message forms", () => {
  it("accepts valid input", () => {
    assert.deepEqual(ssm("GetParameter", { Name: "/a/b", WithDecryption: true }), { ok: true });
    assert.deepEqual(ssm("PutParameter", { Name: "x", Value: "v", Type: "SecureString", Tags: [{ Key: "Env", Value: "dev" }] }), { ok: true });
    assert.deepEqual(ssm("DescribeParameters", {}), { ok: true });
    assert.deepEqual(ssm("DescribeParameters", null), { ok: true });
    assert.deepEqual(kms("Encrypt", { KeyId: "alias/x", Plaintext: Buffer.from("hi").toString("base64"), EncryptionContext: { a: "b" } }), { ok: true });
  });

  it("a missing required member", () => {
    assert.equal(
      validation(ssm("GetParameter", {})),
      "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
    );
    assert.equal(
      validation(ssm("GetParameter", { Name: null })),
      "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
    );
  });

  it("several problems in one message", () => {
    const m = validation(ssm("PutParameter", { Type: "Plain" }));
    assert.match(m, /^3 validation errors detected: /);
    assert.match(m, /Value 'Plain' at 'type' failed to satisfy constraint: Member must satisfy enum value set: \[String, StringList, SecureString\]/);
    assert.match(m, /Value null at 'name' failed to satisfy constraint: Member must not be null; /);
    assert.match(m, /Value null at 'value' failed to satisfy constraint: Member must not be null/);
  });

  it("string lengths", () => {
    assert.equal(
      validation(ssm("GetParameter", { Name: "" })),
      "1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    const long = "a".repeat(2049);
    assert.equal(
      validation(ssm("GetParameter", { Name: long })),
      `1 validation error detected: Value '${long}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 2048`,
    );
    assert.deepEqual(ssm("GetParameter", { Name: "é".repeat(2048) }), { ok: true });
  });

  it("patterns", () => {
    assert.equal(
      validation(ssm("PutParameter", { Name: "x", Value: "v", KeyId: "bad key!" })),
      "1 validation error detected: Value 'bad key!' at 'keyId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([a-zA-Z0-9:/_-]+)$",
    );
    // Unicode classes (\p{L}) in the model's patterns work.
    assert.deepEqual(ssm("PutParameter", { Name: "x", Value: "v", Tags: [{ Key: "Größe", Value: "ü" }] }), { ok: true });
  });

  it("the NUL character, which PostgreSQL cannot store, outside sensitive members", () => {
    assert.equal(
      validation(ssm("PutParameter", { Name: "x", Value: "v", Description: "a\u0000b" })),
      "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must not contain the NUL character (U+0000)",
    );
    assert.deepEqual(ssm("PutParameter", { Name: "x", Value: "secret\u0000", Type: "SecureString" }), { ok: true });
  });

  it("maps of plain strings (Inventory entries) still have every entry checked", () => {
    const put = (entry: Record<string, string>, options = {}) =>
      validateInput(
        ssmModel,
        "PutInventory",
        {
          InstanceId: "mi-0123456789abcdef0",
          Items: [{ TypeName: "Custom:T", SchemaVersion: "1.0", CaptureTime: "2026-12-03T00:00:00Z", Content: [{ A: "1" }, entry] }],
        },
        options,
      );
    assert.deepEqual(put({ B: "x".repeat(4096) }), { ok: true });
    assert.match(
      validation(put({ B: "x".repeat(4097) })),
      /'items.1.member.content.2.member.value' failed to satisfy constraint: Member must have length less than or equal to 4096/,
    );
    assert.match(
      validation(put({ ["k".repeat(65)]: "v" })),
      /content.2.member.key' failed to satisfy constraint: Member must have length less than or equal to 64/,
    );
    assert.match(validation(put({ B: "a\u0000b" })), /Member must not contain the NUL character/);
    // The dispatcher passes noNul only when the JSON text has no \u0000 escape; the check is then skipped.
    assert.deepEqual(put({ B: "ab" }, { noNul: true }), { ok: true });
  });

  it("numeric ranges", () => {
    assert.equal(
      validation(ssm("DescribeParameters", { MaxResults: 51 })),
      "1 validation error detected: Value '51' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50",
    );
    assert.equal(
      validation(ssm("DescribeParameters", { MaxResults: 0 })),
      "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
  });

  it("list lengths and members, with AWS's member paths", () => {
    const names = Array.from({ length: 11 }, (_, i) => `n${i}`);
    assert.equal(
      validation(ssm("GetParameters", { Names: names })),
      `1 validation error detected: Value '[${names.join(", ")}]' at 'names' failed to satisfy constraint: Member must have length less than or equal to 10`,
    );
    assert.match(
      validation(ssm("GetParameters", { Names: [] })),
      /at 'names' failed to satisfy constraint: Member must have length greater than or equal to 1/,
    );
    // A list of scalars is named once, with every constraint of its members, as AWS does.
    assert.equal(
      validation(ssm("GetParameters", { Names: ["ok", ""] })),
      "1 validation error detected: Value '[ok, ]' at 'names' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 2048, Member must have length greater than or equal to 1]",
    );
    assert.equal(
      validation(ssm("LabelParameterVersion", { Name: "x", Labels: ["ok", "a".repeat(101), ""] })),
      `1 validation error detected: Value '[ok, ${"a".repeat(101)}, ]' at 'labels' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 100, Member must have length greater than or equal to 1]`,
    );
    assert.match(
      validation(ssm("ModifyDocumentPermission", { Name: "doc", PermissionType: "Share", AccountIdsToAdd: ["123"] })),
      /^1 validation error detected: Value '\[123\]' at 'accountIdsToAdd' failed to satisfy constraint: Member must satisfy constraint: \[Member must satisfy regular expression pattern: /,
    );
    assert.match(
      validation(ssm("GetParameters", { Names: ["ok", null] })),
      /Value null at 'names.2.member' failed to satisfy constraint: Member must not be null/,
    );
  });

  it("nested structures", () => {
    assert.equal(
      validation(ssm("PutParameter", { Name: "x", Value: "v", Tags: [{ Key: "a", Value: "b" }, { Value: "c" }] })),
      "1 validation error detected: Value null at 'tags.2.member.key' failed to satisfy constraint: Member must not be null",
    );
    assert.match(
      validation(ssm("DescribeParameters", { ParameterFilters: [{ Key: "Name", Option: "SometimesMaybe" }] })),
      /at 'parameterFilters.1.member.option' failed to satisfy constraint/,
    );
  });

  it("maps", () => {
    assert.match(validation(kms("Encrypt", { KeyId: "k", Plaintext: "aGk=", EncryptionContext: { a: null } })), /Value null at 'encryptionContext.value'/);
    assert.match(serialization(kms("Encrypt", { KeyId: "k", Plaintext: "aGk=", EncryptionContext: ["a"] })), /Expected a map at 'encryptionContext'/);
    assert.match(
      serialization(kms("Encrypt", { KeyId: "k", Plaintext: "aGk=", EncryptionContext: { a: 1 } })),
      /Expected a string at 'encryptionContext.value'/,
    );
  });

  it("sensitive values never appear in messages", () => {
    const secret = "hunter2-".repeat(600);
    const m = validation(kms("Encrypt", { KeyId: "k", Plaintext: Buffer.from(secret).toString("base64") }));
    assert.equal(m, "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096");
    assert.ok(!m.includes("hunter2"));
  });

  it("blobs are base64 with lengths counted in bytes", () => {
    assert.match(serialization(kms("Encrypt", { KeyId: "k", Plaintext: "not base64!" })), /base64/);
    assert.match(validation(kms("Encrypt", { KeyId: "k", Plaintext: "" })), /Member must have length greater than or equal to 1/);
  });
});

describe("model validation: wrong JSON types are SerializationException", () => {
  it("names the member and the type found", () => {
    assert.match(serialization(ssm("GetParameter", { Name: 7 })), /Expected a string at 'name', got number/);
    assert.match(serialization(ssm("GetParameter", { Name: { a: 1 } })), /Expected a string at 'name', got object/);
    assert.match(serialization(ssm("GetParameter", { Name: "x", WithDecryption: "yes" })), /Expected a boolean at 'withDecryption', got string/);
    assert.match(serialization(ssm("GetParameters", { Names: "x" })), /Expected a list at 'names', got string/);
    assert.match(serialization(ssm("DescribeParameters", { MaxResults: "10" })), /Expected an integer at 'maxResults'/);
    assert.match(serialization(ssm("DescribeParameters", { MaxResults: 1.5 })), /with a fraction/);
    assert.match(serialization(ssm("PutParameter", { Name: "x", Value: "v", Tags: [["Key", "a"]] })), /Expected an object at 'tags.1.member', got array/);
    assert.match(serialization(ssm("GetParameter", [])), /Expected a JSON object as the request body, got array/);
    assert.match(serialization(ssm("GetParameter", "x")), /got string/);
  });

  it("integers beyond their width", () => {
    assert.match(serialization(ssm("DescribeParameters", { MaxResults: 2 ** 31 })), /out of range for a 32-bit integer/);
  });

  it("ignores members the model does not know", () => {
    assert.deepEqual(ssm("GetParameter", { Name: "x", Surprise: { deep: [1, 2] } }), { ok: true });
  });
});

describe("redaction for the audit trail", () => {
  it("replaces sensitive members, keeps the rest", () => {
    assert.deepEqual(redactInput(ssmModel, "PutParameter", { Name: "/db/pw", Value: "S3cret!", Type: "SecureString" }), {
      Name: "/db/pw",
      Value: "***",
      Type: "SecureString",
    });
    assert.deepEqual(redactInput(kmsModel, "Encrypt", { KeyId: "k", Plaintext: "c2VjcmV0" }), { KeyId: "k", Plaintext: "***" });
  });

  it("redacts a sensitive member whatever its JSON type", () => {
    assert.deepEqual(redactInput(ssmModel, "PutParameter", { Name: "n", Value: { nested: "S3cret!" } }), { Name: "n", Value: "***" });
  });

  it("keeps a __proto__ member as data", () => {
    const input = JSON.parse('{"Name":"n","__proto__":{"polluted":true}}');
    const out = redactInput(ssmModel, "GetParameter", input) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.equal((out as { polluted?: boolean }).polluted, undefined);
    assert.deepEqual(Object.keys(out), ["Name", "__proto__"]);
  });
});

describe("exception message members", () => {
  it("uses the member name the model gives", () => {
    assert.equal(exceptionMessageMember(ssmModel, "ParameterNotFound"), "message");
    assert.equal(exceptionMessageMember(ssmModel, "NoSuchShape"), "message");
  });
});
