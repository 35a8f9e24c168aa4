import { constants, createHash, createHmac, createPrivateKey, type KeyObject, sign as rsaSign } from "node:crypto";
import { isoMillis } from "./ec2messages.js";

/**
 * AWS Signature Version 4, once for everyone: the server verifies with it, the agent, the bench and
 * the test harness sign with it. The canonical request follows AWS's rules for every service but S3
 * (checked against AWS's published SigV4 test suite in test/unit/sigv4.test.ts):
 *
 *   METHOD \n canonical URI \n canonical query \n canonical headers \n signed headers \n payload hash
 */

export const SIGV4_ALGORITHM = "AWS4-HMAC-SHA256";

/** Header values by lower-case name, as Node's IncomingMessage gives them (a list for repeated headers). */
export type HeaderValues = Record<string, string | readonly string[] | undefined>;

export function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** RFC 3986 percent-encoding (everything but A-Z a-z 0-9 - _ . ~), as SigV4 requires. */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decodeOrKeep(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The canonical URI of a path exactly as it travels (already percent-encoded): empty and "."
 * segments dropped, ".." resolved, then each segment encoded once more (all services but S3 encode
 * twice), keeping a trailing slash.
 */
export function canonicalUri(path: string): string {
  const segments: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") segments.pop();
    else segments.push(seg);
  }
  if (segments.length === 0) return "/";
  return `/${segments.map(uriEncode).join("/")}${path.endsWith("/") ? "/" : ""}`;
}

/**
 * The canonical query string of a raw query (what follows "?"): each name and value decoded and
 * encoded per RFC 3986, sorted by name then value; a presigned URL's X-Amz-Signature is left out.
 */
export function canonicalQueryString(query: string): string {
  if (!query) return "";
  return query
    .split("&")
    .filter(Boolean)
    .map((kv) => {
      const eq = kv.indexOf("=");
      const k = eq < 0 ? kv : kv.slice(0, eq);
      const v = eq < 0 ? "" : kv.slice(eq + 1);
      return [uriEncode(decodeOrKeep(k.replace(/\+/g, "%20"))), uriEncode(decodeOrKeep(v.replace(/\+/g, "%20")))] as const;
    })
    .filter(([k]) => k.toLowerCase() !== "x-amz-signature")
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

/** One header's canonical value: each value trimmed with inner runs of whitespace folded to one space, repeats joined by ",". */
export function canonicalHeaderValue(value: string | readonly string[] | undefined): string {
  const values = value === undefined ? [""] : typeof value === "string" ? [value] : value;
  return values.map((v) => v.trim().replace(/\s+/g, " ")).join(",");
}

/** The canonical headers block: `name:value\n` for each signed header, in the order given (sorted by the signer). */
export function canonicalHeaders(headers: HeaderValues, signedHeaders: readonly string[]): string {
  return signedHeaders.map((h) => `${h}:${canonicalHeaderValue(headers[h])}\n`).join("");
}

export interface CanonicalRequestParts {
  method: string;
  /** path and query string exactly as they travel */
  url: string;
  headers: HeaderValues;
  /** lower-case, sorted */
  signedHeaders: readonly string[];
  /** hex SHA-256 of the body */
  payloadHash: string;
}

export function canonicalRequest(r: CanonicalRequestParts): string {
  const q = r.url.indexOf("?");
  const path = q < 0 ? r.url : r.url.slice(0, q);
  const query = q < 0 ? "" : r.url.slice(q + 1);
  return [
    r.method.toUpperCase(),
    canonicalUri(path),
    canonicalQueryString(query),
    canonicalHeaders(r.headers, r.signedHeaders),
    r.signedHeaders.join(";"),
    r.payloadHash,
  ].join("\n");
}

/** `<yyyymmdd>/<region>/<service>/aws4_request` */
export function credentialScope(date: string, region: string, service: string): string {
  return `${date}/${region}/${service}/aws4_request`;
}

/** The string to sign: algorithm, request time, credential scope and the canonical request's hash. */
export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [SIGV4_ALGORITHM, amzDate, scope, sha256Hex(canonical)].join("\n");
}

const signingKeys = new Map<string, Buffer>();

/** The derived signing key (kDate → kRegion → kService → kSigning), cached: it changes once a day per key. */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${secret}\u0000${date}\u0000${region}\u0000${service}`;
  let key = signingKeys.get(id);
  if (!key) {
    const kDate = createHmac("sha256", `AWS4${secret}`).update(date).digest();
    const kRegion = createHmac("sha256", kDate).update(region).digest();
    const kService = createHmac("sha256", kRegion).update(service).digest();
    key = createHmac("sha256", kService).update("aws4_request").digest();
    if (signingKeys.size > 10_000) signingKeys.clear();
    signingKeys.set(id, key);
  }
  return key;
}

/** The HMAC-SHA256 signature of a string to sign, as bytes. */
export function hmacSignature(secret: string, date: string, region: string, service: string, toSign: string): Buffer {
  return createHmac("sha256", signingKey(secret, date, region, service))
    .update(toSign)
    .digest();
}

/** `20240102T030405Z` */
export function amzDate(when: Date): string {
  return isoMillis(when.getTime())
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

// ---- signing a request (clients: the agent, the bench, the test harness) ----

/** A request to sign: the method, the URL it goes to, its headers (lower-case names) and body. */
export interface RequestToSign {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** The scope a signature is made for. */
export interface SigningScope {
  region: string;
  /** Signing name: ssm, kms, ec2messages, ssmmessages, sts. */
  service: string;
}

export interface AccessKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Headers a client does not sign: they may be changed on the way (proxies, HTTP libraries). */
const UNSIGNED = new Set(["authorization", "content-length", "user-agent"]);

/**
 * Adds `host` and `x-amz-date` (and the session token) to the headers and returns the string to sign
 * and what the Authorization header needs besides the signature.
 */
export function prepareSignature(
  req: RequestToSign,
  scope: SigningScope,
  credentialId: string,
  when: Date,
  sessionToken?: string,
): { stringToSign: string; credential: string; signedHeaders: string; date: string } {
  const stamp = amzDate(when);
  const date = stamp.slice(0, 8);
  req.headers.host = req.url.host;
  req.headers["x-amz-date"] = stamp;
  if (sessionToken) req.headers["x-amz-security-token"] = sessionToken;
  const names = Object.keys(req.headers)
    .filter((h) => !UNSIGNED.has(h))
    .sort();
  const canonical = canonicalRequest({
    method: req.method,
    url: `${req.url.pathname || "/"}${req.url.search}`,
    headers: req.headers,
    signedHeaders: names,
    payloadHash: sha256Hex(req.body),
  });
  const credentialScopeText = credentialScope(date, scope.region, scope.service);
  return {
    stringToSign: stringToSign(stamp, credentialScopeText, canonical),
    credential: `${credentialId}/${credentialScopeText}`,
    signedHeaders: names.join(";"),
    date,
  };
}

function authorization(credential: string, signedHeaders: string, signature: string): string {
  return `${SIGV4_ALGORITHM} Credential=${credential}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

/** Ordinary SigV4 (HMAC-SHA256) with access keys: sets `authorization` on req.headers. */
export function signHmac(req: RequestToSign, scope: SigningScope, keys: AccessKeys, when = new Date()): void {
  const p = prepareSignature(req, scope, keys.accessKeyId, when, keys.sessionToken);
  const signature = hmacSignature(keys.secretAccessKey, p.date, scope.region, scope.service, p.stringToSign).toString("hex");
  req.headers.authorization = authorization(p.credential, p.signedHeaders, signature);
}

/** RSA-PSS (SHA-256, salt length 32), the managed-instance signature over a SigV4 string to sign. */
export const RSA_PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } as const;

/**
 * The managed-instance variant amazon-ssm-agent uses for RequestManagedInstanceRoleToken and
 * UpdateManagedInstancePublicKey: the credential is the instance id and the signature is base64
 * RSA-PSS over the same string to sign.
 */
export function signRsa(req: RequestToSign, scope: SigningScope, instanceId: string, privateKey: KeyObject | string, when = new Date()): void {
  const p = prepareSignature(req, scope, instanceId, when);
  const key = typeof privateKey === "string" ? createPrivateKey(privateKey) : privateKey;
  const signature = rsaSign("sha256", Buffer.from(p.stringToSign, "utf8"), { key, ...RSA_PSS }).toString("base64");
  req.headers.authorization = authorization(p.credential, p.signedHeaders, signature);
}
