/**
 * IAM-style policy evaluation: explicit deny > allow > implicit deny.
 * Supports Action/NotAction, Resource/NotResource, Condition (policy-conditions.ts: String*, Arn*,
 * Bool, Numeric*, Date*, IpAddress/NotIpAddress, Null, ...IfExists, ForAnyValue:/ForAllValues:),
 * and policy variables such as ${aws:username} (policy-match.ts).
 */
import { conditionHolds } from "./policy-conditions.js";
import { type ContextValues, matchPattern } from "./policy-match.js";

export { type ContextValues, substituteVariables } from "./policy-match.js";
export { policyProblem } from "./policy-check.js";

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean | number>>;
}

export interface AuthorizationRequest {
  action: string;
  resource: string;
  context: ContextValues;
}

export type Decision = "Allow" | "ExplicitDeny" | "ImplicitDeny";

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function matchesAction(stmt: PolicyStatement, action: string, context: ContextValues): boolean {
  if (stmt.Action !== undefined) return list(stmt.Action).some((a) => matchPattern(a, action, true, context));
  if (stmt.NotAction !== undefined) return !list(stmt.NotAction).some((a) => matchPattern(a, action, true, context));
  return false;
}

function matchesResource(stmt: PolicyStatement, resource: string, context: ContextValues): boolean {
  if (stmt.Resource !== undefined) return list(stmt.Resource).some((r) => matchPattern(r, resource, false, context));
  if (stmt.NotResource !== undefined) return !list(stmt.NotResource).some((r) => matchPattern(r, resource, false, context));
  return false;
}

function conditionsHold(stmt: PolicyStatement, context: ContextValues): boolean {
  if (!stmt.Condition) return true;
  return Object.entries(stmt.Condition).every(([op, block]) => conditionHolds(op, block, context));
}

export function statements(doc: PolicyDocument): PolicyStatement[] {
  return list(doc.Statement);
}

/** Evaluates one request against all policies that apply to the principal. */
export function evaluate(policies: PolicyDocument[], req: AuthorizationRequest): Decision {
  let allowed = false;
  for (const doc of policies) {
    for (const stmt of statements(doc)) {
      if (!matchesAction(stmt, req.action, req.context)) continue;
      if (!matchesResource(stmt, req.resource, req.context)) continue;
      if (!conditionsHold(stmt, req.context)) continue;
      if (stmt.Effect === "Deny") return "ExplicitDeny";
      if (stmt.Effect === "Allow") allowed = true;
    }
  }
  return allowed ? "Allow" : "ImplicitDeny";
}

/** True when any statement's condition names a key with this prefix (so callers load tags only when needed). */
export function mentionsConditionKey(policies: PolicyDocument[], prefix: string): boolean {
  const p = prefix.toLowerCase();
  return policies.some((doc) =>
    statements(doc).some((s) => s.Condition && Object.values(s.Condition).some((block) => Object.keys(block).some((k) => k.toLowerCase().startsWith(p)))),
  );
}
