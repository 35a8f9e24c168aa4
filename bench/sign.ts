import { signHmac } from "@openssm/protocol";
import type { PreparedRequest } from "./load.js";

/** Signs SSM JSON 1.1 requests once, so the load generator spends no time signing. */
export async function prepareSsmRequests(
  endpoint: string,
  creds: { accessKeyId: string; secretAccessKey: string },
  operation: string,
  bodies: object[],
  region = "us-east-1",
): Promise<PreparedRequest[]> {
  const url = new URL("/", endpoint);
  return bodies.map((b) => {
    const body = JSON.stringify(b);
    const req = {
      method: "POST",
      url,
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AmazonSSM.${operation}` } as Record<string, string>,
      body,
    };
    signHmac(req, { region, service: "ssm" }, creds);
    return { headers: req.headers, body };
  });
}
