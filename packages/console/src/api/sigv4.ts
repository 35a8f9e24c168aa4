import { hex, hmacSha256, sha256, utf8 } from "../shims/sha256";
import type { ConsoleCredentials } from "./credentials";

/**
 * AWS Signature Version 4 for the console's own requests beside the SDK's (api.json, api.get): the
 * headers to send with a request to `url`. The browser sets Host itself, from the same URL.
 */
export function signRequest(
  creds: ConsoleCredentials,
  service: string,
  req: { method: string; url: URL; headers: Record<string, string>; body: string },
  now = new Date(),
): Record<string, string> {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...req.headers, host: req.url.host, "x-amz-date": amzDate };
  if (creds.sessionToken) headers["x-amz-security-token"] = creds.sessionToken;
  const names = Object.keys(headers)
    .map((h) => h.toLowerCase())
    .sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v.trim()]));
  const query = [...req.url.searchParams.entries()]
    .map(([k, v]) => [encode(k), encode(v)])
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const path = req.url.pathname
    .split("/")
    // As the SDKs sign for every service but S3: the path as it travels, each segment encoded once more.
    .map((seg) => encode(seg))
    .join("/");
  const canonical = [req.method, path, query, ...names.map((n) => `${n}:${lower[n]}`), "", names.join(";"), hex(sha256(utf8(req.body)))].join("\n");
  const scope = `${day}/${creds.region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, hex(sha256(utf8(canonical)))].join("\n");
  let key = hmacSha256(utf8(`AWS4${creds.secretAccessKey}`), utf8(day));
  for (const part of [creds.region, service, "aws4_request"]) key = hmacSha256(key, utf8(part));
  const signature = hex(hmacSha256(key, utf8(toSign)));
  const out: Record<string, string> = { ...req.headers, "x-amz-date": amzDate };
  if (creds.sessionToken) out["x-amz-security-token"] = creds.sessionToken;
  out.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
  return out;
}

/** RFC 3986 percent-encoding, as SigV4 wants it. */
function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
