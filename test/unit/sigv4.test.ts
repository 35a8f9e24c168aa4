import assert from "node:assert/strict";
import { constants, createHash, createHmac, generateKeyPairSync, type Hash, type Hmac, verify as rsaVerify } from "node:crypto";
import { describe, it } from "node:test";
import { canonicalRequest, hmacSignature, type RequestToSign, signHmac, signRsa, stringToSign as sigv4StringToSign } from "@openssm/protocol";
import { SignatureV4 } from "@smithy/signature-v4";
import { ApiError } from "../../packages/server/src/errors.js";
import { parseAuthorization, requestTime, type SignableRequest, stringToSign, verifyHmacSignature } from "../../packages/server/src/iam/sigv4.js";

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

/**
 * AWS's published SigV4 test suite (the "aws-sig-v4-test-suite" of AWS's SigV4 documentation, in its
 * current form as the AWS Common Runtime keeps it), written down here as our own data: each signed
 * request as sent, with the canonical request, the hash that ends the string to sign and the
 * signature AWS publishes for it. Left out: the "-unnormalized" cases, which are S3's rules (no path
 * normalization, single encoding), not those of the services openssm serves.
 */
const SUITE = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  amzDate: "20150830T123600Z",
  date: "20150830",
  region: "us-east-1",
  service: "service",
};
const SESSION_TOKEN =
  "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

interface Vector {
  name: string;
  /** headers in the order they are sent (a name may repeat), Authorization aside */
  request: { method: string; uri: string; headers: [string, string][]; body: string };
  canonicalRequest: string;
  stringToSignHash: string;
  signature: string;
}

const VECTORS: Vector[] = [
  {
    name: "get-header-key-duplicate",
    request: {
      method: "GET",
      uri: "/",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["My-Header1", "value2"],
        ["My-Header1", "value2"],
        ["My-Header1", "value1"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/",
      "",
      "host:example.amazonaws.com",
      "my-header1:value2,value2,value1",
      "x-amz-date:20150830T123600Z",
      "",
      "host;my-header1;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
    signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
  },
  {
    name: "get-header-value-multiline",
    request: {
      method: "GET",
      uri: "/",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["My-Header1", "value1\n  value2\n     value3"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/",
      "",
      "host:example.amazonaws.com",
      "my-header1:value1 value2 value3",
      "x-amz-date:20150830T123600Z",
      "",
      "host;my-header1;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "e99419459a677bc11de234014be3c4e72c1ea5b454ceb58b613061f5d7a162e8",
    signature: "cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd",
  },
  {
    name: "get-header-value-order",
    request: {
      method: "GET",
      uri: "/",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["My-Header1", "value4"],
        ["My-Header1", "value1"],
        ["My-Header1", "value3"],
        ["My-Header1", "value2"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/",
      "",
      "host:example.amazonaws.com",
      "my-header1:value4,value1,value3,value2",
      "x-amz-date:20150830T123600Z",
      "",
      "host;my-header1;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86",
    signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
  },
  {
    name: "get-header-value-trim",
    request: {
      method: "GET",
      uri: "/",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["My-Header1", " value1"],
        ["My-Header2", ' "a   b   c"'],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/",
      "",
      "host:example.amazonaws.com",
      "my-header1:value1",
      'my-header2:"a b c"',
      "x-amz-date:20150830T123600Z",
      "",
      "host;my-header1;my-header2;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
    signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
  },
  {
    name: "get-relative-normalized",
    request: {
      method: "GET",
      uri: "/example/..",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/",
      "",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
    signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
  },
  {
    name: "get-relative-relative-normalized",
    request: {
      method: "GET",
      uri: "/example1/example2/../..",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/",
      "",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
    signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
  },
  {
    name: "get-slash-dot-slash-normalized",
    request: {
      method: "GET",
      uri: "/./",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/",
      "",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
    signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
  },
  {
    name: "get-slash-normalized",
    request: {
      method: "GET",
      uri: "//",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/",
      "",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
    signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
  },
  {
    name: "get-slash-pointless-dot-normalized",
    request: {
      method: "GET",
      uri: "/./example",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/example",
      "",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "214d50c111a8edc4819da6a636336472c916b5240f51e9a51b5c3305180cf702",
    signature: "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5",
  },
  {
    name: "get-slashes-normalized",
    request: {
      method: "GET",
      uri: "//example//",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/example/",
      "",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "cb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015",
    signature: "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
  },
  {
    name: "get-space-normalized",
    request: {
      method: "GET",
      uri: "/example space/",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/example%20space/",
      "",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
    signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
  },
  {
    name: "get-unreserved",
    request: {
      method: "GET",
      uri: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
      "",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
    signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
  },
  {
    name: "get-utf8",
    request: {
      method: "GET",
      uri: "/ሴ",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/%E1%88%B4",
      "",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
    signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
  },
  {
    name: "get-vanilla-empty-query-key",
    request: {
      method: "GET",
      uri: "/?Param1=value1",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/",
      "Param1=value1",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab",
    signature: "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
  },
  {
    name: "get-vanilla-query-order-encoded",
    request: {
      method: "GET",
      uri: "/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/",
      "%E1%88%B4=Value1&Param=Value2&Param-3=Value3",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "868294f5c38bd141c4972a373a76654f1418a8e4fc18b2e7903ae45e8ae0ec71",
    signature: "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
  },
  {
    name: "get-vanilla-query-order-key-case",
    request: {
      method: "GET",
      uri: "/?Param2=value2&Param1=value1",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/",
      "Param1=value1&Param2=value2",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
    signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
  },
  {
    name: "get-vanilla-query-unreserved",
    request: {
      method: "GET",
      uri: "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/",
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
    signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
  },
  {
    name: "get-vanilla-query",
    request: {
      method: "GET",
      uri: "/",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/",
      "",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
    signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
  },
  {
    name: "get-vanilla-utf8-query",
    request: {
      method: "GET",
      uri: "/?ሴ=bar",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/",
      "%E1%88%B4=bar",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
    signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
  },
  {
    name: "get-vanilla-with-session-token",
    request: {
      method: "GET",
      uri: "/",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Security-Token", "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/",
      "",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "x-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
      "",
      "host;x-amz-date;x-amz-security-token",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b",
    signature: "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
  },
  {
    name: "get-vanilla",
    request: {
      method: "GET",
      uri: "/",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "GET",
      "/",
      "",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
    signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
  },
  {
    name: "post-header-key-case",
    request: {
      method: "POST",
      uri: "/",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "POST",
      "/",
      "",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
    signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
  },
  {
    name: "post-header-key-sort",
    request: {
      method: "POST",
      uri: "/",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["My-Header1", "value1"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "POST",
      "/",
      "",
      "host:example.amazonaws.com",
      "my-header1:value1",
      "x-amz-date:20150830T123600Z",
      "",
      "host;my-header1;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65",
    signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
  },
  {
    name: "post-header-value-case",
    request: {
      method: "POST",
      uri: "/",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["My-Header1", "VALUE1"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "POST",
      "/",
      "",
      "host:example.amazonaws.com",
      "my-header1:VALUE1",
      "x-amz-date:20150830T123600Z",
      "",
      "host;my-header1;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93",
    signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
  },
  {
    name: "post-sts-header-after",
    request: {
      method: "POST",
      uri: "/",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Security-Token", `${SESSION_TOKEN}`],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "POST",
      "/",
      "",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
    signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
  },
  {
    name: "post-sts-header-before",
    request: {
      method: "POST",
      uri: "/",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Security-Token", `${SESSION_TOKEN}`],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "POST",
      "/",
      "",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      `x-amz-security-token:${SESSION_TOKEN}`,
      "",
      "host;x-amz-date;x-amz-security-token",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
    signature: "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
  },
  {
    name: "post-vanilla-empty-query-value",
    request: {
      method: "POST",
      uri: "/?Param1=value1",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "POST",
      "/",
      "Param1=value1",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
    signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
  },
  {
    name: "post-vanilla-query",
    request: {
      method: "POST",
      uri: "/?Param1=value1",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "POST",
      "/",
      "Param1=value1",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
    signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
  },
  {
    name: "post-vanilla",
    request: {
      method: "POST",
      uri: "/",
      headers: [
        ["Host", "example.amazonaws.com"],
        ["X-Amz-Date", "20150830T123600Z"],
      ],
      body: "",
    },
    canonicalRequest: [
      "POST",
      "/",
      "",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"),
    stringToSignHash: "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
    signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
  },
  {
    name: "post-x-www-form-urlencoded-parameters",
    request: {
      method: "POST",
      uri: "/",
      headers: [
        ["Content-Type", "application/x-www-form-urlencoded; charset=utf-8"],
        ["Host", "example.amazonaws.com"],
        ["Content-Length", "13"],
        ["X-Amz-Date", "20150830T123600Z"],
        ["x-amz-content-sha256", "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"],
      ],
      body: "Param1=value1",
    },
    canonicalRequest: [
      "POST",
      "/",
      "",
      "content-length:13",
      "content-type:application/x-www-form-urlencoded; charset=utf-8",
      "host:example.amazonaws.com",
      "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
      "x-amz-date:20150830T123600Z",
      "",
      "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
    ].join("\n"),
    stringToSignHash: "a89f1a5b53e37702ee6363ce1da3ce8f54386f3c8f352ae652153c2982a0bc4d",
    signature: "328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422",
  },
  {
    name: "post-x-www-form-urlencoded",
    request: {
      method: "POST",
      uri: "/",
      headers: [
        ["Content-Type", "application/x-www-form-urlencoded"],
        ["Host", "example.amazonaws.com"],
        ["Content-Length", "13"],
        ["X-Amz-Date", "20150830T123600Z"],
        ["x-amz-content-sha256", "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"],
      ],
      body: "Param1=value1",
    },
    canonicalRequest: [
      "POST",
      "/",
      "",
      "content-length:13",
      "content-type:application/x-www-form-urlencoded",
      "host:example.amazonaws.com",
      "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
      "x-amz-date:20150830T123600Z",
      "",
      "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
    ].join("\n"),
    stringToSignHash: "b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb",
    signature: "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
  },
];

/** A vector's request as the server receives it (lower-case names, repeated headers as a list) and the headers it signs. */
function received(v: Vector): { headers: Record<string, string | string[]>; signedHeaders: string[] } {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of v.request.headers) {
    const k = name.toLowerCase();
    const had = headers[k];
    headers[k] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  }
  const lines = v.canonicalRequest.split("\n");
  return { headers, signedHeaders: lines[lines.length - 2].split(";") };
}

const SCOPE = `${SUITE.date}/${SUITE.region}/${SUITE.service}/aws4_request`;
const authorizationOf = (v: Vector, signedHeaders: string[]) =>
  `AWS4-HMAC-SHA256 Credential=${SUITE.accessKeyId}/${SCOPE}, SignedHeaders=${signedHeaders.join(";")}, Signature=${v.signature}`;

describe("SigV4 agrees with AWS's published test suite", () => {
  for (const v of VECTORS) {
    it(`${v.name}: canonical request, string to sign and signature`, () => {
      const { headers, signedHeaders } = received(v);
      const canonical = canonicalRequest({
        method: v.request.method,
        url: v.request.uri,
        headers,
        signedHeaders,
        payloadHash: createHash("sha256").update(v.request.body).digest("hex"),
      });
      assert.equal(canonical, v.canonicalRequest);
      const toSign = sigv4StringToSign(SUITE.amzDate, SCOPE, canonical);
      assert.equal(toSign, ["AWS4-HMAC-SHA256", SUITE.amzDate, SCOPE, v.stringToSignHash].join("\n"));
      assert.equal(hmacSignature(SUITE.secretAccessKey, SUITE.date, SUITE.region, SUITE.service, toSign).toString("hex"), v.signature);
    });

    it(`${v.name}: the server verifies the published Authorization header`, () => {
      const { headers, signedHeaders } = received(v);
      const req: SignableRequest = {
        method: v.request.method,
        url: v.request.uri,
        headers: { ...headers, authorization: authorizationOf(v, signedHeaders) },
        body: Buffer.from(v.request.body),
      };
      verify(req, SUITE.secretAccessKey, Date.parse("2015-08-30T12:36:00Z"));
      const wrongSecret = () => verify(req, `${SUITE.secretAccessKey}x`, Date.parse("2015-08-30T12:36:00Z"));
      fails(wrongSecret, "InvalidSignatureException", /does not match/);
    });
  }

  // The client signer signs every header it is given but content-length and user-agent (one value
  // each), and takes the path as a URL, already encoded: raw spaces or UTF-8 in a path are not its input.
  const signable = VECTORS.filter((v) => {
    const names = v.request.headers.map(([n]) => n.toLowerCase());
    const signed = received(v).signedHeaders;
    const given = names.filter((n) => n !== "x-amz-security-token" || signed.includes(n));
    const path = v.request.uri.split("?")[0];
    return new Set(names).size === names.length && !names.includes("content-length") && given.length === signed.length && encodeURI(path) === path;
  });
  for (const v of signable) {
    it(`${v.name}: the client signer produces the published Authorization header`, () => {
      const headers: Record<string, string> = {};
      let sessionToken: string | undefined;
      for (const [name, value] of v.request.headers) {
        const k = name.toLowerCase();
        if (k === "x-amz-security-token") sessionToken = received(v).signedHeaders.includes(k) ? value : undefined;
        else if (k !== "host" && k !== "x-amz-date") headers[k] = value;
      }
      const req: RequestToSign = { method: v.request.method, url: new URL(`https://example.amazonaws.com${v.request.uri}`), headers, body: v.request.body };
      signHmac(req, { region: SUITE.region, service: SUITE.service }, { ...SUITE, sessionToken }, new Date("2015-08-30T12:36:00Z"));
      assert.equal(req.headers.authorization, authorizationOf(v, received(v).signedHeaders));
    });
  }
  it("covers most of the suite with the client signer", () => assert.ok(signable.length >= 18, `${signable.length} vectors`));
});

describe("the managed-instance RSA variant shares the canonical request", () => {
  it("signs the string to sign the server computes, with RSA-PSS (SHA-256, salt 32)", () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const body = '{"Name":"x"}';
    const req: RequestToSign = {
      method: "POST",
      url: new URL("http://127.0.0.1:4510/"),
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AmazonSSM.RequestManagedInstanceRoleToken" },
      body,
    };
    signRsa(req, { region: "us-east-1", service: "ssm" }, "mi-0123456789abcdef0", privateKey);
    const wire: SignableRequest = { method: "POST", url: "/", headers: req.headers, body: Buffer.from(body) };
    const auth = parseAuthorization(req.headers.authorization);
    assert.equal(auth.accessKeyId, "mi-0123456789abcdef0");
    const toSign = stringToSign(wire, auth, req.headers["x-amz-date"]);
    const signature = Buffer.from(auth.signature, "base64");
    const pss = { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    assert.ok(rsaVerify("sha256", Buffer.from(toSign), pss, signature));
    wire.headers = { ...wire.headers, "x-amz-target": "AmazonSSM.DeleteParameter" };
    assert.ok(!rsaVerify("sha256", Buffer.from(stringToSign(wire, auth, req.headers["x-amz-date"])), pss, signature));
  });
});
