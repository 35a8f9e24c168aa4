import { JSONPath } from "jsonpath-plus";
import { ApiError } from "../../../errors.js";
import { type Action, type ActionRun, str } from "./types.js";

const CONTROL_INPUTS = new Set(["Service", "Api", "PropertySelector", "DesiredValues"]);

/** The API input of an aws:executeAwsApi-style step: every input but the action's own. */
function apiInput(inputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(inputs).filter(([k]) => !CONTROL_INPUTS.has(k)));
}

async function call(r: ActionRun): Promise<{ ok: true; response: Record<string, unknown> } | { ok: false; message: string }> {
  try {
    return { ok: true, response: await r.call(str(r.inputs.Service), str(r.inputs.Api), apiInput(r.inputs)) };
  } catch (e) {
    if (e instanceof ApiError) return { ok: false, message: `${str(r.inputs.Service)}.${str(r.inputs.Api)} failed: ${e.code}: ${e.message}` };
    throw e;
  }
}

/** The values PropertySelector picks from a response, as text. */
function property(response: unknown, selector: string): string[] {
  const found = JSONPath({ path: selector, json: response as object, wrap: true }) as unknown[];
  return (found ?? []).flatMap((v) => (Array.isArray(v) ? v : [v])).map((v) => str(v));
}

function desired(r: ActionRun): string[] {
  const d = r.inputs.DesiredValues;
  return (Array.isArray(d) ? d : [d]).map(str);
}

/** aws:executeAwsApi: one call to openssm's own SSM, KMS or STS API as the execution's identity. */
export const executeAwsApiAction: Action = {
  async run(r) {
    const res = await call(r);
    if (!res.ok) return { kind: "failed", message: res.message };
    return { kind: "success", response: res.response };
  },
};

/** aws:assertAwsResourceProperty: the call's PropertySelector value must be one of DesiredValues. */
export const assertPropertyAction: Action = {
  async run(r) {
    const res = await call(r);
    if (!res.ok) return { kind: "failed", message: res.message };
    const got = property(res.response, str(r.inputs.PropertySelector));
    const want = desired(r);
    if (got.length > 0 && got.every((g) => want.includes(g))) return { kind: "success", response: res.response };
    return {
      kind: "failed",
      message: `${str(r.inputs.PropertySelector)} is ${got.length ? got.join(", ") : "absent"}, not one of the desired values ${want.join(", ")}.`,
    };
  },
};

/** How often aws:waitForAwsResourceProperty asks again. */
const POLL_MS = 5000;

/** aws:waitForAwsResourceProperty: asks again every few seconds until the property has a desired value (or the step times out). */
export const waitForPropertyAction: Action = {
  async run(r) {
    const res = await call(r);
    if (!res.ok) return { kind: "failed", message: res.message };
    const got = property(res.response, str(r.inputs.PropertySelector));
    const want = desired(r);
    if (got.length > 0 && got.every((g) => want.includes(g))) return { kind: "success", response: res.response };
    return { kind: "wait", state: { polls: (r.state?.polls ?? 0) + 1, last: got }, wakeAt: r.now + POLL_MS };
  },
};
