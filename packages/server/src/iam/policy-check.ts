import { parseCidr } from "./ip.js";
import { isKnownOperator, parseOperator } from "./policy-conditions.js";

const STATEMENT_KEYS = new Set(["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isStringOrList = (v: unknown) => typeof v === "string" || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string"));
const isScalar = (v: unknown) => typeof v === "string" || typeof v === "number" || typeof v === "boolean";

function conditionProblem(where: string, condition: unknown): string | null {
  if (!isObject(condition)) return `${where}: Condition must be an object of operators`;
  for (const [operator, block] of Object.entries(condition)) {
    if (!isKnownOperator(operator)) return `${where}: unknown condition operator ${operator}`;
    if (!isObject(block) || Object.keys(block).length === 0) return `${where}: the ${operator} condition must be an object of keys and values`;
    for (const [key, value] of Object.entries(block)) {
      const values = Array.isArray(value) ? value : [value];
      if (values.length === 0 || !values.every(isScalar)) return `${where}: the values of ${operator} ${key} must be strings (or a list of them)`;
      const { op } = parseOperator(operator);
      if ((op === "ipaddress" || op === "notipaddress") && !values.every((v) => parseCidr(String(v)))) {
        return `${where}: ${operator} ${key} needs IP addresses or CIDR blocks such as 10.0.0.0/8`;
      }
    }
  }
  return null;
}

/** Checks a policy document's shape; returns a message saying what to fix, or null. */
export function policyProblem(doc: unknown): string | null {
  if (!isObject(doc)) return "a policy must be a JSON object";
  for (const k of Object.keys(doc)) if (k !== "Version" && k !== "Id" && k !== "Statement") return `unknown policy element ${k}`;
  if (doc.Version !== undefined && doc.Version !== "2012-10-17" && doc.Version !== "2008-10-17") return "Version must be 2012-10-17";
  if (!doc.Statement) return "a policy needs a Statement";
  const list = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  if (list.length === 0) return "a policy needs at least one Statement";
  for (const [i, s] of list.entries()) {
    const where = `Statement ${i + 1}`;
    if (!isObject(s)) return `${where} must be an object`;
    for (const k of Object.keys(s)) {
      if (k === "Principal" || k === "NotPrincipal") return `${where}: an identity policy has no ${k} (it applies to the user or role it is attached to)`;
      if (!STATEMENT_KEYS.has(k)) return `${where}: unknown element ${k}`;
    }
    if (s.Effect !== "Allow" && s.Effect !== "Deny") return `${where}: Effect must be Allow or Deny`;
    if ((s.Action === undefined) === (s.NotAction === undefined)) return `${where}: needs exactly one of Action or NotAction`;
    if ((s.Resource === undefined) === (s.NotResource === undefined)) return `${where}: needs exactly one of Resource or NotResource`;
    for (const k of ["Action", "NotAction", "Resource", "NotResource"] as const) {
      if (s[k] !== undefined && !isStringOrList(s[k])) return `${where}: ${k} must be a string or a non-empty list of strings`;
    }
    for (const a of [s.Action ?? s.NotAction].flat() as string[]) {
      if (a !== "*" && !/^[a-zA-Z0-9-]+:[a-zA-Z0-9*?]*$/.test(a)) return `${where}: the action '${a}' must look like ssm:GetParameter (or ssm:Get*)`;
    }
    if (s.Condition !== undefined) {
      const problem = conditionProblem(where, s.Condition);
      if (problem) return problem;
    }
  }
  return null;
}
