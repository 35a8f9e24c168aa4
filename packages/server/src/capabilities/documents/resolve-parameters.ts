import { ApiError } from "../../errors.js";
import type { RequestContext } from "../../runtime.js";
import { readParameter } from "../parameters/index.js";
import type { DocumentParameterDeclaration, ResolvedDocument } from "./types.js";
import { baseType, constraintProblem } from "./validate/parameters-block.js";

const SSM_REFERENCE = /\{\{\s*ssm:([^{}\s]+)\s*\}\}/g;
const WHOLE_SSM_REFERENCE = /^\s*\{\{\s*ssm:([^{}\s]+)\s*\}\}\s*$/;

function invalid(doc: ResolvedDocument, name: string, problem: string): ApiError {
  return new ApiError("InvalidParameters", `Parameter "${name}" of document ${doc.name}: ${problem}`);
}

function text(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** The caller's value, in the API's list-of-strings form or already typed, as the value the type holds. */
function coerce(doc: ResolvedDocument, name: string, decl: DocumentParameterDeclaration, given: unknown): unknown {
  const type = baseType(decl.type);
  const list = Array.isArray(given) ? given : [given];
  const one = (): unknown => {
    if (list.length !== 1) throw invalid(doc, name, `a ${decl.type} parameter takes one value; ${list.length} were given.`);
    return list[0];
  };
  switch (type) {
    case "String": {
      const v = one();
      if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") throw invalid(doc, name, `expected a string, got ${text(v)}.`);
      return String(v);
    }
    case "StringList":
      return list.map((v) => {
        if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean")
          throw invalid(doc, name, `expected a list of strings; one item is ${text(v)}.`);
        return String(v);
      });
    case "Integer": {
      const v = one();
      if (typeof v === "number" && Number.isInteger(v)) return v;
      if (typeof v === "string" && /^\s*-?\d+\s*$/.test(v)) return Number(v);
      if (typeof v === "string" && WHOLE_SSM_REFERENCE.test(v)) return v;
      throw invalid(doc, name, `expected a whole number, got '${text(v)}'.`);
    }
    case "Boolean": {
      const v = one();
      if (typeof v === "boolean") return v;
      if (typeof v === "string" && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === "true";
      if (typeof v === "string" && WHOLE_SSM_REFERENCE.test(v)) return v;
      throw invalid(doc, name, `expected true or false, got '${text(v)}'.`);
    }
    case "StringMap": {
      const v = one();
      const parsed = typeof v === "string" ? parseJson(doc, name, v) : v;
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
        throw invalid(doc, name, `expected a JSON object (a StringMap), got ${text(v)}.`);
      return parsed;
    }
    case "MapList": {
      const items = list.length === 1 && typeof list[0] === "string" && list[0].trim().startsWith("[") ? (parseJson(doc, name, list[0]) as unknown[]) : list;
      return (Array.isArray(items) ? items : [items]).map((item) => {
        const m = typeof item === "string" ? parseJson(doc, name, item) : item;
        if (m === null || typeof m !== "object" || Array.isArray(m))
          throw invalid(doc, name, `expected a list of JSON objects (a MapList); one item is ${text(item)}.`);
        return m;
      });
    }
  }
}

function parseJson(doc: ResolvedDocument, name: string, v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    throw invalid(doc, name, `'${v.length > 80 ? `${v.slice(0, 80)}...` : v}' is not valid JSON.`);
  }
}

/** Replaces {{ssm:name}} references in the strings of a value with Parameter Store values, read with the caller's permissions. */
async function resolveReferences(ctx: RequestContext, doc: ResolvedDocument, name: string, value: unknown, listItems: boolean): Promise<unknown> {
  if (typeof value === "string") {
    if (!value.includes("{{")) return value;
    const refs = [...value.matchAll(SSM_REFERENCE)].map((m) => m[1]);
    const values = new Map<string, { type: string; value: string }>();
    for (const ref of refs) if (!values.has(ref)) values.set(ref, await readReference(ctx, doc, name, ref));
    const whole = WHOLE_SSM_REFERENCE.exec(value);
    if (whole && listItems && values.get(whole[1])?.type === "StringList") return values.get(whole[1])?.value.split(",");
    return value.replace(SSM_REFERENCE, (_m, ref: string) => values.get(ref)?.value ?? "");
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      // In a StringList, an item that is only a reference to a StringList parameter becomes its items.
      const v = await resolveReferences(ctx, doc, name, item, listItems && typeof item === "string");
      if (Array.isArray(v) && typeof item === "string") out.push(...v);
      else out.push(v);
    }
    return out;
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await resolveReferences(ctx, doc, name, v, false);
    return out;
  }
  return value;
}

async function readReference(ctx: RequestContext, doc: ResolvedDocument, name: string, ref: string): Promise<{ type: string; value: string }> {
  let p: Awaited<ReturnType<typeof readParameter>>;
  try {
    p = await readParameter(ctx, ref, { withDecryption: false });
  } catch (e) {
    if (e instanceof ApiError && e.code !== "AccessDeniedException") throw invalid(doc, name, `{{ssm:${ref}}} can't be resolved: ${e.message}`);
    throw e;
  }
  if (p.type === "SecureString") {
    throw invalid(
      doc,
      name,
      `{{ssm:${ref}}} names a SecureString parameter, which SSM documents can't resolve into plain text. Use {{ssm-secure:${ref}}} in a plugin input that supports it, or read the parameter on the node (aws ssm get-parameter --with-decryption).`,
    );
  }
  return { type: p.type, value: p.value };
}

/**
 * Checks the caller's parameters against the document's declarations, fills defaults, resolves
 * {{ssm:...}} references and checks allowedValues / allowedPattern / min / max. Returns the values
 * as the agent substitutes them: String → string, StringList → string[], Integer → number,
 * Boolean → boolean, StringMap → object, MapList → object[]. {{ssm-secure:...}} stays as written:
 * the agent resolves it on the node.
 */
export async function resolveDocumentParameters(
  ctx: RequestContext,
  doc: ResolvedDocument,
  given: Record<string, unknown> | undefined,
): Promise<Record<string, unknown>> {
  const declared = Object.keys(doc.parameters);
  for (const name of Object.keys(given ?? {})) {
    if (!Object.hasOwn(doc.parameters, name)) {
      throw new ApiError(
        "InvalidParameters",
        `Parameter "${name}" is not declared by document ${doc.name}; ${declared.length ? `it declares ${declared.join(", ")}` : "it declares no parameters"}.`,
      );
    }
  }
  const out: Record<string, unknown> = {};
  for (const [name, decl] of Object.entries(doc.parameters)) {
    const supplied = given?.[name];
    let value: unknown;
    if (supplied !== undefined && supplied !== null) value = coerce(doc, name, decl, supplied);
    else if (decl.default !== undefined) value = structuredClone(decl.default);
    else throw invalid(doc, name, "is required (it has no default value); give it a value.");
    const type = baseType(decl.type);
    value = await resolveReferences(ctx, doc, name, value, type === "StringList");
    if (typeof value === "string" && (type === "Integer" || type === "Boolean") && supplied !== undefined) value = coerce(doc, name, decl, value);
    const problem = constraintProblem(decl, value);
    if (problem) throw invalid(doc, name, problem);
    out[name] = value;
  }
  return out;
}

/** Resolved values back in the API's form (Record<string, string[]>), as DescribeCommand and friends show parameters. */
export function toApiParameterValues(values: Record<string, unknown>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(values)) {
    if (Array.isArray(v)) out[k] = v.map((x) => (typeof x === "string" ? x : JSON.stringify(x)));
    else out[k] = [typeof v === "string" ? v : JSON.stringify(v)];
  }
  return out;
}
