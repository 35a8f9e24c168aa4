import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { blobKeyId, decryptBlob, encryptBlob } from "../../packages/server/src/capabilities/kms/blob.js";

const KEY_ID = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
const material = randomBytes(32);
const invalid = { name: "Error", code: "InvalidCiphertextException" } as const;

test("a blob names its key and decrypts with the same material and context", () => {
  const blob = encryptBlob(KEY_ID, material, Buffer.from("secret"), { b: "2", a: "1" });
  assert.equal(blobKeyId(blob), KEY_ID);
  assert.equal(blob.length, 1 + 16 + 12 + 16 + 6);
  assert.equal(decryptBlob(material, blob, { a: "1", b: "2" }).toString(), "secret", "context order does not matter");
});

test("no context and an empty context are the same", () => {
  const blob = encryptBlob(KEY_ID, material, Buffer.from("x"));
  assert.equal(decryptBlob(material, blob, {}).toString(), "x");
});

test("a changed context, key id, IV, tag or body is InvalidCiphertextException", () => {
  const blob = encryptBlob(KEY_ID, material, Buffer.from("secret"), { a: "1" });
  assert.throws(() => decryptBlob(material, blob, { a: "2" }), invalid);
  assert.throws(() => decryptBlob(material, blob), invalid);
  assert.throws(() => decryptBlob(randomBytes(32), blob, { a: "1" }), invalid);
  for (const at of [0, 5, 20, 35, blob.length - 1]) {
    const changed = Buffer.from(blob);
    changed[at] ^= 1;
    assert.throws(() => decryptBlob(material, changed, { a: "1" }), invalid, `byte ${at}`);
  }
  assert.throws(() => blobKeyId(Buffer.from("short")), invalid);
  assert.throws(() => blobKeyId(Buffer.alloc(60, 2)), invalid);
});

test("context values cannot be shifted between keys", () => {
  const blob = encryptBlob(KEY_ID, material, Buffer.from("s"), { ab: "c" });
  assert.throws(() => decryptBlob(material, blob, { a: "bc" }), invalid);
});
