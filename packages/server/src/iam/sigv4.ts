import { timingSafeEqual } from "node:crypto";
import { stringToSign as buildStringToSign, canonicalRequest, credentialScope, hmacSignature, sha256Hex } from "@openssm/protocol";
import { ApiError } from "../errors.js";

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
  /** SHA-256 (hex) of `body`, when a body thread already computed it. */
  payloadHash?: string;
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

/** The SigV4 string to sign for a request as received (shared by HMAC and the agents' RSA variant). */
export function stringToSign(req: SignableRequest, auth: ParsedAuthorization, amzDate: string): string {
  const payloadHash = req.payloadHash ?? sha256Hex(req.body);
  const claimed = header(req, "x-amz-content-sha256");
  if (claimed !== undefined && claimed !== payloadHash) {
    throw new ApiError("InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  const canonical = canonicalRequest({ method: req.method, url: req.url, headers: req.headers, signedHeaders: auth.signedHeaders, payloadHash });
  return buildStringToSign(amzDate, credentialScope(auth.date, auth.region, auth.service), canonical);
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
  const expected = hmacSignature(secret, auth.date, auth.region, auth.service, stringToSign(req, auth, amzDate));
  const given = Buffer.from(auth.signature, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ApiError(
      "InvalidSignatureException",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
  }
}
