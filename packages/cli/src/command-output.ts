import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { GetCommandInvocationCommand, type GetCommandInvocationCommandOutput } from "@aws-sdk/client-ssm";
import { signHmac } from "@openssm/protocol";
import { type ApiFlags, apiError, resolveApi, ssmClient, trusted } from "./api-client.js";
import { CliError } from "./errors.js";

export interface OutputFlags extends ApiFlags {
  commandId: string;
  instanceId: string;
  pluginName?: string;
  stderr?: boolean;
}

/** A SigV4-signed GET (service ssm) of one of the server's URLs: status and body. */
function signedGet(
  url: URL,
  region: string,
  keys: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  ca: string[] | undefined,
): Promise<{ status: number; body: Buffer; errorType?: string }> {
  const req = { method: "GET", url, headers: {} as Record<string, string>, body: "" };
  signHmac(req, { region, service: "ssm" }, keys);
  return new Promise((resolve, reject) => {
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const r = send(url, { method: "GET", headers: req.headers, ...(url.protocol === "https:" && ca ? { ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.once("end", () => {
        const errorType = res.headers["x-amzn-errortype"];
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), errorType: typeof errorType === "string" ? errorType : undefined });
      });
      res.once("error", reject);
    });
    r.once("error", reject);
    r.end();
  });
}

/**
 * `openssm command output`: the whole output of a command on a node. GetCommandInvocation gives at
 * most 24,000 characters of stdout (8,000 of stderr) and a URL to the rest, which takes a SigV4-signed
 * GET: this signs it with the caller's credentials and prints the text as it is.
 */
export async function commandOutput(flags: OutputFlags): Promise<void> {
  const api = resolveApi(flags);
  const client = ssmClient(api);
  let inv: GetCommandInvocationCommandOutput;
  try {
    inv = await client.send(new GetCommandInvocationCommand({ CommandId: flags.commandId, InstanceId: flags.instanceId, PluginName: flags.pluginName }));
  } catch (e) {
    throw apiError("GetCommandInvocation", e);
  }
  const stream = flags.stderr ? "stderr" : "stdout";
  const url = flags.stderr ? inv.StandardErrorUrl : inv.StandardOutputUrl;
  if (!url) {
    // The server keeps only what the agent sent in its reply (amazon-ssm-agent sends the first
    // 24,000 characters): that is all there is.
    process.stderr.write(`openssm: the server holds no more of the ${stream} than GetCommandInvocation gives (${inv.Status ?? "no status"})\n`);
    process.stdout.write((flags.stderr ? inv.StandardErrorContent : inv.StandardOutputContent) ?? "");
    return;
  }
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new CliError(`GetCommandInvocation answered a ${stream} URL that is not a URL: ${url}`);
  }
  const [credentials, region] = await Promise.all([client.config.credentials(), client.config.region()]);
  let res: Awaited<ReturnType<typeof signedGet>>;
  try {
    res = await signedGet(target, region, credentials, api.ca ? trusted(api.ca) : undefined);
  } catch (e) {
    throw apiError(`GET ${target.origin}${target.pathname}`, e);
  }
  if (res.status !== 200) {
    let message = res.body.toString("utf8");
    try {
      message = String((JSON.parse(message) as { message?: string }).message ?? message);
    } catch {
      // not JSON: the text as it is
    }
    throw new CliError(`GET ${target.pathname}: ${res.errorType ? `${res.errorType}: ` : ""}${message} (HTTP ${res.status})`);
  }
  process.stdout.write(res.body);
}
