import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { ApiError } from "./errors.js";

/** The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header. */
export interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

export interface SignableRequest {
  method: string;
  /** path and query string exactly as received */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const MAX_SKEW_MS = 15 * 60 * 1000;

function header(req: SignableRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

export function parseAuthorization(value: string): ParsedAuthorization {
  if (!value.startsWith("AWS4-HMAC-SHA256 ")) {
    throw new ApiError("IncompleteSignatureException", `Authorization header requires the AWS4-HMAC-SHA256 algorithm. Authorization=${value.split(" ")[0]}`);
  }
  const fields: Record<string, string> = {};
  for (const part of value.slice("AWS4-HMAC-SHA256 ".length).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  const missing = ["Credential", "SignedHeaders", "Signature"].filter((k) => !fields[k]);
  if (missing.length) {
    throw new ApiError(
      "IncompleteSignatureException",
      missing.map((k) => `Authorization header requires '${k}' parameter.`).join(" ") + ` Authorization=${value}`,
    );
  }
  const scope = fields.Credential.split("/");
  if (scope.length !== 5 || scope[4] !== "aws4_request" || !/^\d{8}$/.test(scope[1])) {
    throw new ApiError("IncompleteSignatureException", `Credential should be scoped to a valid date, region, service and 'aws4_request': ${fields.Credential}`);
  }
  if (!/^[a-z0-9-]{1,32}$/.test(scope[2])) {
    throw new ApiError("IncompleteSignatureException", `Credential should be scoped to a valid region (such as us-east-1), not '${scope[2].slice(0, 64)}'`);
  }
  if (!/^[a-z0-9-]{1,64}$/.test(scope[3])) {
    throw new ApiError("IncompleteSignatureException", `Credential should be scoped to a valid service (such as ssm), not '${scope[3].slice(0, 64)}'`);
  }
  return {
    accessKeyId: scope[0],
    date: scope[1],
    region: scope[2],
    service: scope[3],
    signedHeaders: fields.SignedHeaders.split(";"),
    signature: fields.Signature,
  };
}

/** RFC 3986 encoding as SigV4 requires. */
function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The canonical URI as the AWS SDKs compute it for every service but S3: the path as sent (already
 * percent-encoded) with empty, "." and ".." segments resolved, then each segment encoded again.
 */
function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") segments.pop();
    else segments.push(seg);
  }
  if (segments.length === 0) return "/";
  const trailing = path.endsWith("/") ? "/" : "";
  return `/${segments.map(encode).join("/")}${trailing}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function canonicalQuery(query: string): string {
  if (!query) return "";
  return query
    .split("&")
    .filter(Boolean)
    .map((kv) => {
      const eq = kv.indexOf("=");
      const k = eq < 0 ? kv : kv.slice(0, eq);
      const v = eq < 0 ? "" : kv.slice(eq + 1);
      return [encode(safeDecode(k.replace(/\+/g, "%20"))), encode(safeDecode(v.replace(/\+/g, "%20")))] as const;
    })
    .filter(([k]) => k.toLowerCase() !== "x-amz-signature")
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

export function sha256Hex(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The SigV4 string to sign for a request (shared by HMAC and the agents' RSA variant). */
export function stringToSign(req: SignableRequest, auth: ParsedAuthorization, amzDate: string): string {
  const q = req.url.indexOf("?");
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? "" : req.url.slice(q + 1);
  const canonicalHeaders = auth.signedHeaders.map((h) => `${h}:${(header(req, h) ?? "").trim().replace(/\s+/g, " ")}\n`).join("");
  const payloadHash = sha256Hex(req.body);
  const claimed = header(req, "x-amz-content-sha256");
  if (claimed !== undefined && claimed !== payloadHash) {
    throw new ApiError("InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  const canonical = [req.method.toUpperCase(), canonicalPath(path), canonicalQuery(query), canonicalHeaders, auth.signedHeaders.join(";"), payloadHash].join(
    "\n",
  );
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  return ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonical)].join("\n");
}

const signingKeyCache = new Map<string, Buffer>();

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const cacheKey = `${secret}\u0000${date}\u0000${region}\u0000${service}`;
  let key = signingKeyCache.get(cacheKey);
  if (!key) {
    const kDate = createHmac("sha256", `AWS4${secret}`).update(date).digest();
    const kRegion = createHmac("sha256", kDate).update(region).digest();
    const kService = createHmac("sha256", kRegion).update(service).digest();
    key = createHmac("sha256", kService).update("aws4_request").digest();
    if (signingKeyCache.size > 5000) signingKeyCache.clear();
    signingKeyCache.set(cacheKey, key);
  }
  return key;
}

/** Reads and checks the request time (x-amz-date or Date) against the 15-minute skew window. */
export function requestTime(req: SignableRequest, auth: ParsedAuthorization, now: number): string {
  const amzDate = header(req, "x-amz-date");
  let when: number;
  let text: string;
  if (amzDate) {
    const m = amzDate.match(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/);
    if (!m) throw new ApiError("IncompleteSignatureException", `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'", got '${amzDate}'`);
    when = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
    text = amzDate;
  } else {
    const d = header(req, "date");
    if (!d || Number.isNaN(Date.parse(d))) {
      throw new ApiError("IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    }
    when = Date.parse(d);
    text = new Date(when)
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d{3}/, "");
  }
  if (!auth.signedHeaders.includes("host")) {
    throw new ApiError("IncompleteSignatureException", "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (text.slice(0, 8) !== auth.date) {
    throw new ApiError(
      "InvalidSignatureException",
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${text.slice(0, 8)}'`,
    );
  }
  if (Math.abs(now - when) > MAX_SKEW_MS) {
    const fmt = (t: number) =>
      new Date(t)
        .toISOString()
        .replace(/[-:]/g, "")
        .replace(/\.\d{3}/, "");
    const reason =
      when < now
        ? `Signature expired: ${text} is now earlier than ${fmt(now - MAX_SKEW_MS)} (${fmt(now)} - 15 min.)`
        : `Signature not yet current: ${text} is still later than ${fmt(now + MAX_SKEW_MS)} (${fmt(now)} + 15 min.)`;
    throw new ApiError("InvalidSignatureException", reason);
  }
  return text;
}

export function verifyHmacSignature(req: SignableRequest, auth: ParsedAuthorization, secret: string, amzDate: string): void {
  const sts = stringToSign(req, auth, amzDate);
  const expected = createHmac("sha256", signingKey(secret, auth.date, auth.region, auth.service))
    .update(sts)
    .digest();
  const given = Buffer.from(auth.signature, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ApiError(
      "InvalidSignatureException",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
  }
}
