import assert from "node:assert/strict";
import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import { describe, it } from "node:test";
import { SignatureV4 } from "@smithy/signature-v4";
import { ApiError } from "../../packages/server/src/http/errors.js";
import { parseAuthorization, requestTime, type SignableRequest, stringToSign, verifyHmacSignature } from "../../packages/server/src/http/sigv4.js";

const bytes = (d: string | ArrayBuffer | ArrayBufferView): string | Buffer =>
  typeof d === "string" ? d : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);

/** The SDK's checksum interface over node:crypto (what @aws-crypto/sha256-js provides in the SDK). */
class Sha256 {
  private h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret ? createHmac("sha256", bytes(secret)) : createHash("sha256");
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {}
}

const KEY = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };

/** The query string as the SDK's HTTP handlers put it on the wire. */
const uriEscape = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
function wireQuery(query: Record<string, string | string[]>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) for (const x of Array.isArray(v) ? v : [v]) parts.push(`${uriEscape(k)}=${uriEscape(x)}`);
  return parts.join("&");
}

interface Spec {
  method?: string;
  path?: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
  region?: string;
  service?: string;
  date?: Date;
  unsignedPayload?: boolean;
}

/** Signs a request with @smithy/signature-v4 and returns it as the server receives it (lower-case header names). */
async function signed(spec: Spec = {}): Promise<SignableRequest> {
  const signer = new SignatureV4({
    credentials: KEY,
    region: spec.region ?? "us-east-1",
    service: spec.service ?? "ssm",
    sha256: Sha256,
    applyChecksum: !spec.unsignedPayload,
  });
  const body = spec.body ?? '{"Name":"/myapp/dev/db"}';
  const req = await signer.sign(
    {
      method: spec.method ?? "POST",
      protocol: "http:",
      hostname: "127.0.0.1",
      port: 4510,
      path: spec.path ?? "/",
      query: spec.query ?? {},
      headers: {
        host: "127.0.0.1:4510",
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AmazonSSM.GetParameter",
        ...spec.headers,
      },
      body,
    },
    { signingDate: spec.date ?? new Date() },
  );
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = String(v);
  const q = wireQuery(req.query as Record<string, string | string[]>);
  return { method: req.method, url: q ? `${req.path}?${q}` : req.path, headers, body: Buffer.from(body) };
}

/** What the server does with a request: parse, check the time, verify the HMAC. */
function verify(req: SignableRequest, secret = KEY.secretAccessKey, now = Date.now()): void {
  const auth = parseAuthorization(String(req.headers.authorization));
  const amzDate = requestTime(req, auth, now);
  verifyHmacSignature(req, auth, secret, amzDate);
}

const fails = (fn: () => void, code: string, message?: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof ApiError && e.code === code && (!message || message.test(e.message)));

describe("SigV4 canonicalization agrees with the AWS SDK's signer", () => {
  it("verifies a JSON 1.1 POST", async () => {
    verify(await signed());
  });

  it("verifies query strings with repeated keys, empty values and reserved characters", async () => {
    verify(await signed({ method: "GET", body: "", query: { b: "2", a: ["x y", "1", "~*'()!"], "c d": "", "e/f": "=&+" } }));
  });

  it("verifies percent-encoded paths (encoded again in the canonical form)", async () => {
    verify(await signed({ path: "/v1/data-channel/session-1%3Aabc" }));
    verify(await signed({ path: "/v1/control-channel/mi-0123456789abcdef0" }));
    verify(await signed({ path: "/a%20b/%41/" }));
  });

  it("trims and folds whitespace in signed header values", async () => {
    verify(await signed({ headers: { "x-amz-meta-note": "  a   b\t c  " } }));
  });

  it("verifies requests signed for another region and service and keeps them in the scope", async () => {
    const req = await signed({ region: "eu-west-3", service: "kms", headers: { "x-amz-target": "TrentService.Encrypt" } });
    verify(req);
    const auth = parseAuthorization(String(req.headers.authorization));
    assert.equal(auth.region, "eu-west-3");
    assert.equal(auth.service, "kms");
    assert.equal(auth.accessKeyId, KEY.accessKeyId);
    assert.ok(auth.signedHeaders.includes("x-amz-target"));
  });

  it("verifies a request whose payload hash header is absent", async () => {
    const req = await signed({ unsignedPayload: true });
    assert.equal(req.headers["x-amz-content-sha256"], undefined);
    verify(req);
  });

  it("ignores headers that were not signed", async () => {
    const req = await signed();
    req.headers["user-agent"] = "something else";
    req.headers["x-forwarded-for"] = "10.0.0.1";
    verify(req);
  });

  it("the string to sign names the algorithm, time, scope and canonical request hash", async () => {
    const req = await signed({ date: new Date("2026-01-02T03:04:05Z") });
    const auth = parseAuthorization(String(req.headers.authorization));
    const lines = stringToSign(req, auth, "20260102T030405Z").split("\n");
    assert.deepEqual(lines.slice(0, 3), ["AWS4-HMAC-SHA256", "20260102T030405Z", "20260102/us-east-1/ssm/aws4_request"]);
    assert.match(lines[3], /^[0-9a-f]{64}$/);
  });
});

describe("SigV4 rejects tampering", () => {
  it("a changed body", async () => {
    const req = await signed();
    req.body = Buffer.from('{"Name":"/myapp/prod/db"}');
    fails(() => verify(req), "InvalidSignatureException", /x-amz-content-sha256/);
    req.headers["x-amz-content-sha256"] = undefined;
    fails(() => verify(req), "InvalidSignatureException", /signature we calculated does not match/);
  });

  it("a changed body with a matching payload hash header", async () => {
    const req = await signed();
    req.body = Buffer.from('{"Name":"/myapp/prod/db"}');
    req.headers["x-amz-content-sha256"] = createHash("sha256").update(req.body).digest("hex");
    fails(() => verify(req), "InvalidSignatureException", /does not match/);
  });

  it("a changed signed header, path, query, method or host", async () => {
    const mutations: ((r: SignableRequest) => void)[] = [
      (r) => (r.headers["x-amz-target"] = "AmazonSSM.DeleteParameter"),
      (r) => (r.headers.host = "evil.example:4510"),
      (r) => (r.url = "/other"),
      (r) => (r.url = "/?extra=1"),
      (r) => (r.method = "PUT"),
    ];
    for (const mutate of mutations) {
      const req = await signed();
      mutate(req);
      fails(() => verify(req), "InvalidSignatureException");
    }
  });

  it("a changed query value", async () => {
    const req = await signed({ method: "GET", body: "", query: { role: "publish_subscribe" } });
    verify(req);
    req.url = req.url.replace("publish_subscribe", "subscribe");
    fails(() => verify(req), "InvalidSignatureException");
  });

  it("a wrong secret", async () => {
    const req = await signed();
    fails(() => verify(req, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ"), "InvalidSignatureException", /does not match/);
  });

  it("a changed signature, scope or signed-header list", async () => {
    const req = await signed();
    const auth = String(req.headers.authorization);
    const variants = [
      auth.replace(/Signature=([0-9a-f])/, (_m, c: string) => `Signature=${c === "0" ? "1" : "0"}`),
      auth.replace("us-east-1", "us-west-2"),
      auth.replace("/ssm/", "/kms/"),
      auth.replace("content-type;", ""),
    ];
    for (const v of variants) {
      fails(() => verify({ ...req, headers: { ...req.headers, authorization: v } }), "InvalidSignatureException");
    }
  });

  it("a time outside the 15-minute window, or a scope date that does not match", async () => {
    const old = await signed({ date: new Date(Date.now() - 16 * 60_000) });
    fails(() => verify(old), "InvalidSignatureException", /Signature expired/);
    const future = await signed({ date: new Date(Date.now() + 16 * 60_000) });
    fails(() => verify(future), "InvalidSignatureException", /not yet current/);
    const req = await signed({ date: new Date("2026-01-02T03:04:05Z") });
    req.headers["x-amz-date"] = "20260103T030405Z";
    fails(() => verify(req, KEY.secretAccessKey, Date.parse("2026-01-03T03:04:05Z")), "InvalidSignatureException", /Date in Credential scope/);
  });
});

describe("SigV4 refuses malformed Authorization headers", () => {
  const parse = (v: string) => () => parseAuthorization(v);
  it("names what is missing or wrong", () => {
    fails(parse("AWS4-HMAC-SHA1 Credential=x"), "IncompleteSignatureException", /AWS4-HMAC-SHA256/);
    fails(parse("AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/ssm/aws4_request"), "IncompleteSignatureException", /SignedHeaders/);
    fails(parse("AWS4-HMAC-SHA256 Credential=AKIA/20260101/ssm/aws4_request, SignedHeaders=host, Signature=00"), "IncompleteSignatureException");
    fails(parse("AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/ssm/aws4_requests, SignedHeaders=host, Signature=00"), "IncompleteSignatureException");
    fails(
      parse(`AWS4-HMAC-SHA256 Credential=AKIA/20260101/${"x".repeat(40)}/ssm/aws4_request, SignedHeaders=host, Signature=00`),
      "IncompleteSignatureException",
      /valid region/,
    );
    fails(parse("AWS4-HMAC-SHA256 Credential=AKIA/20260101/US EAST/ssm/aws4_request, SignedHeaders=host, Signature=00"), "IncompleteSignatureException");
  });

  it("requires host among the signed headers and a well-formed date", async () => {
    const req = await signed();
    const noHost = String(req.headers.authorization).replace("host;", "");
    fails(() => verify({ ...req, headers: { ...req.headers, authorization: noHost } }), "IncompleteSignatureException", /Host/);
    fails(() => verify({ ...req, headers: { ...req.headers, "x-amz-date": "yesterday" } }), "IncompleteSignatureException", /ISO8601/);
    const noDate = { ...req.headers, "x-amz-date": undefined };
    fails(() => verify({ ...req, headers: noDate }), "IncompleteSignatureException", /X-Amz-Date/);
  });
});
