import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import type { Principal } from "../../iam/principals.js";

/** The one action of just-in-time node access policies, as AWS's Cedar schema names it. */
export const JIT_ACTION = { type: "AWS::SSM::Action", id: "getTokenForInstanceAccess" };

/** What an approval policy is asked about: who wants which node, with their tags and the node's. */
export interface AccessQuestion {
  principal: Principal;
  instanceId: string;
  nodeTags: Record<string, string>;
}

export interface CedarOutcome {
  decision: "allow" | "deny";
  /** Ids of the statements that decided (statement<n>, in the document's order). */
  reasons: string[];
  /** Statements that could not be evaluated for this request (they count as not matching, as in Cedar). */
  errors: string[];
}

/**
 * The request in the entities of AWS's just-in-time schema: an IAM user (or role) as the principal,
 * `context.iam.principalTags` an entity whose tags are the principal's IAM tags, and the node an
 * `AWS::SSM::ManagedInstance` whose tags are its tags.
 */
function cedarRequest(q: AccessQuestion) {
  const principal = { type: q.principal.kind === "user" ? "AWS::IAM::User" : "AWS::IAM::Role", id: q.principal.arn };
  const principalTags = { type: "AWS::IAM::PrincipalTags", id: q.principal.arn };
  const resource = { type: "AWS::SSM::ManagedInstance", id: q.instanceId };
  return {
    principal,
    action: JIT_ACTION,
    resource,
    context: { iam: { principalTags: { __entity: principalTags } } },
    entities: [
      { uid: principal, attrs: {}, parents: [] },
      { uid: principalTags, attrs: {}, parents: [], tags: { ...q.principal.tags } },
      { uid: resource, attrs: {}, parents: [], tags: { ...q.nodeTags } },
    ],
  };
}

/** The statements of a Cedar policy text, each under its own id; undefined when the text does not parse. */
export function statementsOf(text: string): Record<string, string> | undefined {
  const parts = cedar.policySetTextToParts(text);
  if (parts.type !== "success") return undefined;
  return Object.fromEntries(parts.policies.map((p, i) => [`statement${i + 1}`, p]));
}

/** Evaluates a Cedar policy text for the request with cedar-wasm's authorizer (default deny). */
export function evaluate(text: string, q: AccessQuestion): CedarOutcome {
  const statements = statementsOf(text);
  if (!statements) return { decision: "deny", reasons: [], errors: ["the policy no longer parses"] };
  const answer = cedar.isAuthorized({ ...cedarRequest(q), policies: { staticPolicies: statements } });
  if (answer.type !== "success") {
    return { decision: "deny", reasons: [], errors: answer.errors.map((e) => e.message) };
  }
  const { decision, diagnostics } = answer.response;
  return { decision, reasons: diagnostics.reason, errors: diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`) };
}
