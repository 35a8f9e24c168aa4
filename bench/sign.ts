import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import type { PreparedRequest } from "./load.js";

/** SHA-256 (or HMAC-SHA-256 when given a secret) in the shape the signer expects. */
class Sha256 {
  private h: Hash | Hmac;
  constructor(secret?: string | Uint8Array) {
    this.h = secret ? createHmac("sha256", secret) : createHash("sha256");
  }
  update(data: string | Uint8Array): void {
    this.h.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return this.h.digest();
  }
}

/** Signs SSM JSON 1.1 requests once, so the load generator spends no time signing. */
export async function prepareSsmRequests(
  endpoint: string,
  creds: { accessKeyId: string; secretAccessKey: string },
  operation: string,
  bodies: object[],
  region = "us-east-1",
): Promise<PreparedRequest[]> {
  const url = new URL(endpoint);
  const signer = new SignatureV4({ service: "ssm", region, credentials: creds, sha256: Sha256 as never });
  const out: PreparedRequest[] = [];
  for (const b of bodies) {
    const body = JSON.stringify(b);
    const signed = await signer.sign({
      method: "POST",
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: "/",
      headers: { host: url.host, "content-type": "application/x-amz-json-1.1", "x-amz-target": `AmazonSSM.${operation}` },
      body,
    });
    out.push({ headers: signed.headers as Record<string, string>, body });
  }
  return out;
}
