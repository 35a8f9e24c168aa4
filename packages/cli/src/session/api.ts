import { readFileSync } from "node:fs";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { ResumeSessionCommand, SSMClient, StartSessionCommand, TerminateSessionCommand } from "@aws-sdk/client-ssm";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { CliError } from "../errors.js";

/** Where and as whom the session commands call the SSM API. */
export interface ApiFlags {
  endpoint?: string;
  region?: string;
  profile?: string;
  caFile?: string;
}

export interface SessionApi {
  client: SSMClient;
  ca?: Buffer;
  start(input: { Target: string; DocumentName?: string; Parameters?: Record<string, string[]>; Reason?: string }): Promise<{
    SessionId: string;
    TokenValue: string;
    StreamUrl: string;
  }>;
  resume(sessionId: string): Promise<{ tokenValue?: string; streamUrl?: string }>;
  terminate(sessionId: string): Promise<void>;
}

/**
 * An SSM client signed with SigV4 as the AWS CLI would be: credentials from --profile or the usual
 * chain (AWS_ACCESS_KEY_ID..., AWS_PROFILE, ~/.aws), the region from --region or the environment or
 * profile, the endpoint from --endpoint (or AWS_ENDPOINT_URL_SSM / AWS_ENDPOINT_URL).
 */
export function sessionApi(flags: ApiFlags): SessionApi {
  // A terminal tool: the SDK's notice about future Node versions would land in the user's session.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const endpoint = flags.endpoint ?? process.env.OPENSSM_ENDPOINT;
  const ca = flags.caFile ? readCa(flags.caFile) : undefined;
  const client = new SSMClient({
    ...(endpoint ? { endpoint } : {}),
    ...(flags.region ? { region: flags.region } : {}),
    ...(flags.profile ? { profile: flags.profile } : {}),
    // One connection per call: a session makes few API calls, and an idle keep-alive connection would
    // only hold a restarting server open.
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: false }),
      httpsAgent: new HttpsAgent({ keepAlive: false, ...(ca ? { ca: [ca] } : {}) }),
    }),
    maxAttempts: 2,
  });
  return {
    client,
    ca,
    async start(input) {
      const r = await client.send(new StartSessionCommand(input));
      if (!r.SessionId || !r.TokenValue || !r.StreamUrl) throw new CliError("StartSession answered without SessionId, TokenValue or StreamUrl");
      return { SessionId: r.SessionId, TokenValue: r.TokenValue, StreamUrl: r.StreamUrl };
    },
    async resume(sessionId) {
      const r = await client.send(new ResumeSessionCommand({ SessionId: sessionId }));
      return { tokenValue: r.TokenValue || undefined, streamUrl: r.StreamUrl || undefined };
    },
    async terminate(sessionId) {
      await client.send(new TerminateSessionCommand({ SessionId: sessionId }));
    },
  };
}

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new CliError(`cannot read the CA file ${file}: ${(e as Error).message}`, 2);
  }
}

/** An API error as one line: `StartSession: TargetNotConnected: mi-... is not connected.` */
export function apiError(operation: string, e: unknown): CliError {
  const err = e as { name?: string; message?: string };
  if (e instanceof CliError) return e;
  if (/certificate/i.test(err.message ?? "")) {
    return new CliError(`${operation}: ${err.message}: trust the server's CA with --ca-file (the server prints its openssm-ca.pem) or NODE_EXTRA_CA_CERTS`);
  }
  return new CliError(`${operation}: ${err.name && err.name !== "Error" ? `${err.name}: ` : ""}${err.message ?? String(e)}`);
}
