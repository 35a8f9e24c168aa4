import { createHash, createHmac, createPrivateKey, type KeyObject, sign as rsaSign, constants } from "node:crypto";

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
  /** Signing name: ssm, ec2messages or ssmmessages. */
  service: string;
}

/** Access keys: the temporary ones RequestManagedInstanceRoleToken hands out. */
export interface AccessKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** RFC 3986 encoding, as SigV4 wants it. */
function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalPath(pathname: string): string {
  if (pathname === "" || pathname === "/") return "/";
  return pathname
    .split("/")
    .map((seg) => encode(decodeURIComponent(seg)))
    .join("/");
}

function canonicalQuery(url: URL): string {
  const pairs: [string, string][] = [];
  url.searchParams.forEach((v, k) => pairs.push([encode(k), encode(v)]));
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

/** `20240102T030405Z` */
export function amzDate(when: Date): string {
  return when
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/**
 * Adds `host` and `x-amz-date` (and the session token) to the headers and returns the SigV4 string
 * to sign plus what the Authorization header needs besides the signature.
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
    .map((h) => h.toLowerCase())
    .filter((h) => h !== "authorization" && h !== "content-length" && h !== "user-agent")
    .sort();
  const canonicalHeaders = names.map((h) => `${h}:${String(req.headers[h]).trim().replace(/\s+/g, " ")}\n`).join("");
  const signedHeaders = names.join(";");
  const canonical = [
    req.method.toUpperCase(),
    canonicalPath(req.url.pathname),
    canonicalQuery(req.url),
    canonicalHeaders,
    signedHeaders,
    sha256Hex(req.body),
  ].join("\n");
  const credentialScope = `${date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", stamp, credentialScope, sha256Hex(canonical)].join("\n");
  return { stringToSign, credential: `${credentialId}/${credentialScope}`, signedHeaders, date };
}

const keyCache = new Map<string, Buffer>();

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${secret}\0${date}\0${region}\0${service}`;
  let key = keyCache.get(id);
  if (!key) {
    const kDate = createHmac("sha256", `AWS4${secret}`).update(date).digest();
    const kRegion = createHmac("sha256", kDate).update(region).digest();
    const kService = createHmac("sha256", kRegion).update(service).digest();
    key = createHmac("sha256", kService).update("aws4_request").digest();
    if (keyCache.size > 10_000) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}

/** Ordinary SigV4 (HMAC-SHA256) with access keys: sets `authorization` on req.headers. */
export function signHmac(req: RequestToSign, scope: SigningScope, keys: AccessKeys, when = new Date()): void {
  const p = prepareSignature(req, scope, keys.accessKeyId, when, keys.sessionToken);
  const signature = createHmac("sha256", signingKey(keys.secretAccessKey, p.date, scope.region, scope.service))
    .update(p.stringToSign)
    .digest("hex");
  req.headers.authorization = `AWS4-HMAC-SHA256 Credential=${p.credential}, SignedHeaders=${p.signedHeaders}, Signature=${signature}`;
}

/**
 * The managed-instance variant amazon-ssm-agent uses for RequestManagedInstanceRoleToken and
 * UpdateManagedInstancePublicKey: the credential is the instance id and the signature is
 * base64 RSA-PSS (SHA-256, salt 32) over the same string to sign.
 */
export function signRsa(req: RequestToSign, scope: SigningScope, instanceId: string, privateKey: KeyObject | string, when = new Date()): void {
  const p = prepareSignature(req, scope, instanceId, when);
  const key = typeof privateKey === "string" ? createPrivateKey(privateKey) : privateKey;
  const signature = rsaSign("sha256", Buffer.from(p.stringToSign, "utf8"), {
    key,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: 32,
  }).toString("base64");
  req.headers.authorization = `AWS4-HMAC-SHA256 Credential=${p.credential}, SignedHeaders=${p.signedHeaders}, Signature=${signature}`;
}
