import { SSMClient } from "@aws-sdk/client-ssm";
import type { ConsoleCredentials } from "./credentials";
import { ApiCallError } from "./errors";
import { signRequest } from "./sigv4";
import { whoAmI } from "./sts";

/** What every page calls the server with (see CONVENTIONS.md, "Calling the API"). */
export interface Api {
  ssm: SSMClient;
  region: string;
  accessKeyId: string;
  /** A signed JSON 1.1 call on POST / with this X-Amz-Target (AmazonSSM.X, TrentService.X, ...). */
  json<T = Record<string, unknown>>(target: string, input: unknown): Promise<T>;
  /** A signed GET of one of the server's routes beside the JSON API; the body as text. */
  get(path: string): Promise<string>;
  credentials: ConsoleCredentials;
  /** STS GetCallerIdentity: checks the key and says whose it is. */
  whoAmI(): Promise<{ arn: string; account: string }>;
}

const SERVICE_OF: Record<string, string> = { AmazonSSM: "ssm", TrentService: "kms" };

/** The clients of a signed-in key, at this page's origin. */
export function createApi(creds: ConsoleCredentials, origin = window.location.origin): Api {
  const ssm = new SSMClient({
    region: creds.region,
    endpoint: origin,
    maxAttempts: 2,
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken },
  });
  const failure = async (res: Response): Promise<ApiCallError> => {
    const text = await res.text();
    let body: { __type?: string; message?: string; Message?: string } = {};
    try {
      body = JSON.parse(text);
    } catch {
      body = { message: text };
    }
    const code = (body.__type ?? res.headers.get("x-amzn-errortype") ?? `HTTP${res.status}`).split("#").pop() ?? "Error";
    return new ApiCallError(code, body.message ?? body.Message ?? res.statusText, res.status);
  };
  return {
    ssm,
    region: creds.region,
    accessKeyId: creds.accessKeyId,
    credentials: creds,
    async json<T>(target: string, input: unknown): Promise<T> {
      const url = new URL("/", origin);
      const body = JSON.stringify(input ?? {});
      const service = SERVICE_OF[target.split(".")[0]] ?? "ssm";
      const headers = signRequest(creds, service, {
        method: "POST",
        url,
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": target },
        body,
      });
      const res = await fetch(url, { method: "POST", headers, body });
      if (!res.ok) throw await failure(res);
      return (await res.json()) as T;
    },
    whoAmI: () => whoAmI(creds, origin),
    async get(path: string): Promise<string> {
      const url = new URL(path, origin);
      const headers = signRequest(creds, "ssm", { method: "GET", url, headers: {}, body: "" });
      const res = await fetch(url, { headers });
      if (!res.ok) throw await failure(res);
      return res.text();
    },
  };
}
