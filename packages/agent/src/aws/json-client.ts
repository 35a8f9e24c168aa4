import type { KeyObject } from "node:crypto";
import { AwsError } from "./aws-error.js";
import type { HttpTransport } from "./http-transport.js";
import { type AccessKeys, type RequestToSign, signHmac, signRsa } from "@openssm/protocol";

/** How a call is authenticated. */
export type CallAuth = { kind: "anonymous" } | { kind: "keys"; keys: AccessKeys } | { kind: "rsa"; instanceId: string; privateKey: KeyObject | string };

export interface JsonCallOptions {
  /** `AmazonSSM` or `EC2WindowsMessageDeliveryService` */
  targetPrefix: string;
  /** Signing name: ssm or ec2messages. */
  service: string;
  operation: string;
  input: unknown;
  auth: CallAuth;
  timeoutMs?: number;
}

/** An AWS JSON 1.1 client for one endpoint, signing with node:crypto (no SDK). */
export class JsonClient {
  readonly url: URL;

  constructor(
    endpoint: string,
    readonly region: string,
    private readonly transport: HttpTransport,
  ) {
    this.url = new URL(endpoint);
    if (this.url.pathname === "") this.url.pathname = "/";
  }

  async call<T>(opts: JsonCallOptions): Promise<T> {
    const body = JSON.stringify(opts.input ?? {});
    const req: RequestToSign = {
      method: "POST",
      url: this.url,
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": `${opts.targetPrefix}.${opts.operation}`,
      },
      body,
    };
    const scope = { region: this.region, service: opts.service };
    if (opts.auth.kind === "keys") signHmac(req, scope, opts.auth.keys);
    else if (opts.auth.kind === "rsa") signRsa(req, scope, opts.auth.instanceId, opts.auth.privateKey);
    let res: Awaited<ReturnType<HttpTransport["request"]>>;
    try {
      res = await this.transport.request("POST", this.url, req.headers, body, opts.timeoutMs ?? 30_000);
    } catch (e) {
      (e as Error).message = `${opts.targetPrefix}.${opts.operation}: ${(e as Error).message}`;
      throw e;
    }
    const text = res.body.toString("utf8");
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = undefined;
    }
    if (res.status >= 200 && res.status < 300 && parsed !== undefined) return parsed as T;
    const type = String(parsed?.__type ?? res.headers["x-amzn-errortype"] ?? `HTTP${res.status}`);
    const code = type.includes("#") ? type.slice(type.lastIndexOf("#") + 1) : type.split(":")[0];
    const message = String(parsed?.message ?? parsed?.Message ?? (text.slice(0, 300) || `HTTP ${res.status}`));
    throw new AwsError(code, message, res.status);
  }
}
