import { ApiError } from "../../../errors.js";
import { type Action, str } from "./types.js";

/**
 * aws:invokeWebhook: posts to a stored webhook integration. The definition is a Parameter Store
 * parameter (AWS's path: /d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/<name>),
 * JSON {"url": ..., "headers": {...}}, read as the execution's identity. Only destinations the
 * operator allows are called (OPENSSM_AUTOMATION_WEBHOOK_DESTINATIONS: comma-separated origins such
 * as https://hooks.example.com), redirects are not followed, and the call times out after 10 s.
 */

export const WEBHOOK_PREFIX = "/d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/";

function allowedOrigins(): string[] {
  return (process.env.OPENSSM_AUTOMATION_WEBHOOK_DESTINATIONS ?? "")
    .split(",")
    .map((s) => s.trim().replace(/\/+$/, ""))
    .filter(Boolean);
}

export const invokeWebhookAction: Action = {
  async run(r) {
    const name = str(r.inputs.IntegrationName);
    let definition: { url?: string; headers?: Record<string, string>; method?: string };
    try {
      const p = await r.call("ssm", "GetParameter", { Name: `${WEBHOOK_PREFIX}${name}`, WithDecryption: true });
      definition = JSON.parse(str((p.Parameter as Record<string, unknown>).Value));
    } catch (e) {
      if (e instanceof ApiError) return { kind: "failed", message: `The webhook integration ${name} can't be read: ${e.code}: ${e.message}` };
      if (e instanceof SyntaxError) return { kind: "failed", message: `The webhook integration ${name} is not JSON such as {"url": "https://..."}.` };
      throw e;
    }
    let url: URL;
    try {
      url = new URL(str(definition.url));
    } catch {
      return { kind: "failed", message: `The webhook integration ${name} has no valid url.` };
    }
    const allowed = allowedOrigins();
    if (!allowed.includes(url.origin)) {
      return {
        kind: "failed",
        message: `${url.origin} is not an allowed webhook destination; the operator allows ${allowed.length ? allowed.join(", ") : "none"} (OPENSSM_AUTOMATION_WEBHOOK_DESTINATIONS).`,
      };
    }
    try {
      const res = await fetch(url, {
        method: definition.method ?? "POST",
        headers: { "content-type": "application/json", ...(definition.headers ?? {}) },
        body: r.inputs.Body === undefined ? undefined : str(r.inputs.Body),
        redirect: "manual",
        signal: AbortSignal.timeout(10_000),
      });
      const text = (await res.text()).slice(0, 64 * 1024);
      const outputs = { Response: text, ResponseCode: res.status };
      if (res.status >= 200 && res.status < 300) return { kind: "success", outputs, response: { Response: text, ResponseCode: res.status } };
      return { kind: "failed", message: `The webhook answered ${res.status}.`, outputs };
    } catch (e) {
      return { kind: "failed", message: `The webhook call failed: ${(e as Error).message}` };
    }
  },
};
