import { readFileSync } from "node:fs";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { resolve } from "node:path";
import { rootCertificates } from "node:tls";
import { SSMClient } from "@aws-sdk/client-ssm";
import { type ClientConfig, readClientConfig } from "@openssm/server";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { ApiFlags } from "./api-options.js";
import { CliError } from "./errors.js";

export type { ApiFlags } from "./api-options.js";

/** Where and as whom to call, after flags, then AWS_* / OPENSSM_* environment, then the data dir's client.json. */
export interface ResolvedApi {
  endpoint: string;
  region?: string;
  /** CA certificates (PEM) to trust besides the public roots, and the files they come from. */
  ca?: string;
  caFiles: string[];
  /** A named profile for the SDK's own credential chain. */
  profile?: string;
  /** Keys read from client.json's credentials file. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** The client.json used, if any. */
  clientConfig?: ClientConfig & { file: string };
}

/** `[profile]` sections of a shared-credentials file (key = value lines). */
export function credentialsProfiles(text: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (section) {
      current = {};
      out.set(section[1], current);
      continue;
    }
    const eq = line.indexOf("=");
    if (current && eq > 0) current[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

function keysOf(file: string, profile: string): ResolvedApi["credentials"] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const p = credentialsProfiles(text).get(profile);
  if (!p?.aws_access_key_id || !p.aws_secret_access_key) return undefined;
  return { accessKeyId: p.aws_access_key_id, secretAccessKey: p.aws_secret_access_key, sessionToken: p.aws_session_token };
}

function readCa(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new CliError(`cannot read the CA file ${file}: ${(e as Error).message}`, 2);
  }
}

export function resolveApi(flags: ApiFlags, env: NodeJS.ProcessEnv = process.env): ResolvedApi {
  const dataDir = resolve(flags.dataDir ?? env.OPENSSM_DATA_DIR ?? ".openssm");
  let local: ResolvedApi["clientConfig"];
  try {
    local = readClientConfig(dataDir);
  } catch (e) {
    throw new CliError((e as Error).message, 2);
  }
  const endpoint = flags.endpointUrl ?? env.OPENSSM_ENDPOINT ?? env.AWS_ENDPOINT_URL_SSM ?? env.AWS_ENDPOINT_URL ?? local?.endpoint;
  if (!endpoint) {
    throw new CliError(
      `no openssm server to call: ${dataDir}/client.json does not exist (the server writes it when it starts). ` +
        "Run this in the directory where the server was started (it holds .openssm), or pass --data-dir, or --endpoint-url",
      2,
    );
  }
  // --ca-file replaces the rest; otherwise the server's own CA is trusted besides AWS_CA_BUNDLE's.
  const caFiles = flags.caFile ? [flags.caFile] : [env.AWS_CA_BUNDLE, local?.caFile].filter((f): f is string => Boolean(f));
  const region = flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? local?.region;
  // Credentials: a named profile (flag, else AWS_PROFILE), else keys in the environment, else
  // client.json's profile. A profile the data dir's credentials file holds is read from there,
  // unless AWS_SHARED_CREDENTIALS_FILE names the file to use.
  const named = flags.profile ?? (env.AWS_ACCESS_KEY_ID ? undefined : env.AWS_PROFILE);
  const out: ResolvedApi = { endpoint, region, caFiles, ca: caFiles.length ? caFiles.map(readCa).join("\n") : undefined, clientConfig: local };
  const localKeys = (profile: string) => (local?.credentialsFile && !env.AWS_SHARED_CREDENTIALS_FILE ? keysOf(local.credentialsFile, profile) : undefined);
  if (named) {
    out.credentials = localKeys(named);
    if (!out.credentials) out.profile = named;
  } else if (!env.AWS_ACCESS_KEY_ID && local?.profile) {
    out.credentials = localKeys(local.profile);
  }
  return out;
}

/**
 * An SSM client signed with SigV4 as the AWS CLI would be, calling the resolved server (never AWS's
 * own endpoint by default), trusting its CA besides the public roots.
 */
export function ssmClient(api: ResolvedApi): SSMClient {
  // A terminal tool: the SDK's notice about future Node versions would land in the user's session.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  return new SSMClient({
    endpoint: api.endpoint,
    ...(api.region ? { region: api.region } : {}),
    ...(api.profile ? { profile: api.profile } : {}),
    ...(api.credentials ? { credentials: api.credentials } : {}),
    // One connection per call: the commands make few API calls, and an idle keep-alive connection
    // would only hold a restarting server open.
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: false }),
      httpsAgent: new HttpsAgent({ keepAlive: false, ...(api.ca ? { ca: trusted(api.ca) } : {}) }),
    }),
    maxAttempts: 2,
  });
}

/** The public roots and `ca`: Node's `ca` option replaces the roots, and a server may use a public certificate. */
export function trusted(ca: string): string[] {
  return [...rootCertificates, ca];
}

/** An API error as one line: `StartSession: TargetNotConnected: mi-... is not connected.` */
export function apiError(operation: string, e: unknown): CliError {
  const err = e as { name?: string; message?: string };
  if (e instanceof CliError) return e;
  if (/certificate/i.test(err.message ?? "")) {
    return new CliError(
      `${operation}: ${err.message}: trust the server's CA with --ca-file (its openssm-ca.pem; the data dir's client.json names it) or AWS_CA_BUNDLE`,
    );
  }
  return new CliError(`${operation}: ${err.name && err.name !== "Error" ? `${err.name}: ` : ""}${err.message ?? String(e)}`);
}
