/**
 * `{{ }}` references in a runbook's inputs: parameters (`{{ InstanceId }}`), step outputs
 * (`{{ step.Output }}`, a loop's `{{ loop.CurrentIteratorValue }}`), variables (`{{ variable:Name }}`),
 * global values (`{{ global:ACCOUNT_ID }}`, `{{ automation:EXECUTION_ID }}`) and Parameter Store
 * (`{{ ssm:/name }}`, `{{ ssm-secure:/name }}`). A string that is exactly one reference takes the
 * referenced value with its type (a StringList stays a list); a reference inside longer text is
 * written into it as text.
 */

const REFERENCE = /\{\{\s*([^{}]+?)\s*\}\}/g;
const WHOLE = /^\s*\{\{\s*([^{}]+?)\s*\}\}\s*$/;

export interface ReferenceScope {
  parameters: Record<string, unknown>;
  variables: Record<string, unknown>;
  /** The outputs of the latest run of a step, by step name. */
  stepOutputs: Map<string, Record<string, unknown>>;
  globals: Record<string, string>;
  /** Parameter Store: plain (`ssm:`) or decrypted (`ssm-secure:`). */
  readParameter(name: string, decrypt: boolean): Promise<unknown>;
}

export class UnresolvedReference extends Error {}

export interface ResolveOptions {
  /** Resolve `{{ ssm-secure:... }}` (only when the action runs, never for what is stored). */
  secure: boolean;
}

/** Global values of an execution. */
export function globalValues(scope: { accountId: string; region: string }, executionId: string, now: number): Record<string, string> {
  const d = new Date(now);
  const p = (n: number) => String(n).padStart(2, "0");
  const date = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`;
  return {
    ACCOUNT_ID: scope.accountId,
    REGION: scope.region,
    AWS_PARTITION: "aws",
    AWS_URL_SUFFIX: "amazonaws.com",
    DATE: date,
    DATE_TIME: `${date}_${p(d.getUTCHours())}.${p(d.getUTCMinutes())}.${p(d.getUTCSeconds())}`,
    EXECUTION_ID: executionId,
    DOCUMENT_EXECUTION_ID: executionId,
  };
}

async function lookup(ref: string, scope: ReferenceScope, opts: ResolveOptions): Promise<{ found: boolean; value?: unknown }> {
  if (ref.startsWith("global:") || ref.startsWith("automation:")) {
    const key = ref.slice(ref.indexOf(":") + 1);
    return Object.hasOwn(scope.globals, key) ? { found: true, value: scope.globals[key] } : { found: false };
  }
  if (ref.startsWith("variable:")) {
    const key = ref.slice("variable:".length);
    return Object.hasOwn(scope.variables, key) ? { found: true, value: scope.variables[key] } : { found: false };
  }
  if (ref.startsWith("ssm-secure:")) {
    if (!opts.secure) return { found: true, value: `{{ ${ref} }}` };
    return { found: true, value: await scope.readParameter(ref.slice("ssm-secure:".length), true) };
  }
  if (ref.startsWith("ssm:")) return { found: true, value: await scope.readParameter(ref.slice(4), false) };
  if (Object.hasOwn(scope.parameters, ref)) return { found: true, value: scope.parameters[ref] };
  const dot = ref.indexOf(".");
  if (dot > 0) {
    const outputs = scope.stepOutputs.get(ref.slice(0, dot));
    const name = ref.slice(dot + 1);
    if (outputs && Object.hasOwn(outputs, name)) return { found: true, value: outputs[name] };
  }
  return { found: false };
}

function asText(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === undefined || v === null) return "";
  if (Array.isArray(v) && v.every((x) => typeof x !== "object")) return v.join(",");
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/** Resolves every reference in a value (strings, lists and maps, recursively). Throws UnresolvedReference naming an unknown one. */
export async function resolveReferences(value: unknown, scope: ReferenceScope, opts: ResolveOptions): Promise<unknown> {
  if (typeof value === "string") {
    if (!value.includes("{{")) return value;
    const whole = WHOLE.exec(value);
    if (whole) {
      const r = await lookup(whole[1], scope, opts);
      if (!r.found) throw new UnresolvedReference(`{{ ${whole[1]} }} names no parameter, variable or step output that has a value.`);
      return r.value;
    }
    let out = "";
    let last = 0;
    for (const m of value.matchAll(REFERENCE)) {
      const r = await lookup(m[1], scope, opts);
      if (!r.found) throw new UnresolvedReference(`{{ ${m[1]} }} names no parameter, variable or step output that has a value.`);
      out += value.slice(last, m.index) + asText(r.value);
      last = (m.index ?? 0) + m[0].length;
    }
    return out + value.slice(last);
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) out.push(await resolveReferences(item, scope, opts));
    return out;
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await resolveReferences(v, scope, opts);
    return out;
  }
  return value;
}

/** The references a value contains (for validation and previews). */
export function referencesIn(value: unknown, into: string[] = []): string[] {
  if (typeof value === "string") for (const m of value.matchAll(REFERENCE)) into.push(m[1]);
  else if (Array.isArray(value)) for (const v of value) referencesIn(v, into);
  else if (value !== null && typeof value === "object") for (const v of Object.values(value)) referencesIn(v, into);
  return into;
}
