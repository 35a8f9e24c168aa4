/**
 * Resource policy documents (PutResourcePolicy): the checks AWS makes before it stores one. A
 * resource policy names whom it grants (Principal), unlike the identity policies in iam/policy.ts.
 */

export type PolicyTarget = "OpsItemGroup" | "Parameter";

const STATEMENT_KEYS = new Set(["Sid", "Effect", "Principal", "Action", "Resource", "Condition"]);
/** The actions a policy may grant on each kind of resource. */
const ACTION_FORMS: Record<PolicyTarget, RegExp> = {
  OpsItemGroup: /^ssm:(\*|[A-Za-z*?]*OpsItem[A-Za-z*?]*)$/,
  Parameter: /^ssm:(\*|[A-Za-z*?]*Parameter[A-Za-z*?]*)$/,
};
const ACCOUNT_ID = /^\d{12}$/;
const IAM_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(root|user\/.+|role\/.+)$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] | undefined =>
  typeof v === "string" ? [v] : Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string") ? (v as string[]) : undefined;

/** The accounts a statement's Principal names (12-digit ids and IAM ARNs), or a message saying what is wrong. */
export function principalAccounts(principal: unknown): string[] | string {
  if (!isObject(principal) || Object.keys(principal).length !== 1 || !("AWS" in principal)) {
    return 'Principal must be {"AWS": ...} naming accounts (123456789012 or arn:aws:iam::123456789012:root) or their users and roles';
  }
  const list = strings(principal.AWS);
  if (!list) return "Principal.AWS must be an account, an IAM ARN, or a non-empty list of them";
  const accounts: string[] = [];
  for (const p of list) {
    if (p === "*") return "Principal * would share the resource with every account; name the accounts";
    if (ACCOUNT_ID.test(p)) accounts.push(p);
    else if (IAM_ARN.test(p)) accounts.push(p.split(":")[4]);
    else return `Principal ${p} is neither a 12-digit account id nor an IAM ARN (arn:aws:iam::123456789012:root)`;
  }
  return accounts;
}

/**
 * Checks a resource policy for `resourceArn`; returns what to fix (MalformedResourcePolicyDocumentException),
 * or null. `opsItemArnPrefix`: an OpsItemGroup's policy may also name the account's OpsItems.
 */
export function resourcePolicyProblem(text: string, target: PolicyTarget, resourceArn: string, opsItemArnPrefix: string): string | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return `the policy is not JSON (${(e as Error).message})`;
  }
  if (!isObject(doc)) return "a policy must be a JSON object";
  for (const k of Object.keys(doc)) if (k !== "Version" && k !== "Id" && k !== "Statement") return `unknown policy element ${k}`;
  if (doc.Version !== "2012-10-17") return 'Version must be "2012-10-17"';
  const list = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement === undefined ? [] : [doc.Statement];
  if (list.length === 0) return "a policy needs at least one Statement";
  for (const [i, s] of list.entries()) {
    const where = `Statement ${i + 1}`;
    if (!isObject(s)) return `${where} must be an object`;
    for (const k of Object.keys(s))
      if (!STATEMENT_KEYS.has(k)) return `${where}: unknown element ${k} (a resource policy takes ${[...STATEMENT_KEYS].join(", ")})`;
    if (s.Effect !== "Allow" && s.Effect !== "Deny") return `${where}: Effect must be Allow or Deny`;
    const principals = principalAccounts(s.Principal);
    if (typeof principals === "string") return `${where}: ${principals}`;
    const actions = strings(s.Action);
    if (!actions) return `${where}: Action must be an action or a non-empty list of them`;
    for (const a of actions) {
      if (!ACTION_FORMS[target].test(a))
        return `${where}: ${a} is not an action a policy on a${target === "OpsItemGroup" ? "n OpsItemGroup" : " parameter"} grants (ssm:…${target === "OpsItemGroup" ? "OpsItem" : "Parameter"}…)`;
    }
    const resources = strings(s.Resource);
    if (!resources) return `${where}: Resource must be the resource's ARN (or a list)`;
    for (const r of resources) {
      const own = r === resourceArn || (target === "OpsItemGroup" && r.startsWith(opsItemArnPrefix));
      if (!own)
        return `${where}: Resource ${r} is not ${resourceArn}${target === "OpsItemGroup" ? ` or an OpsItem (${opsItemArnPrefix}*)` : ""}; a resource policy speaks of its own resource`;
    }
    if (s.Condition !== undefined && !isObject(s.Condition)) return `${where}: Condition must be an object of operators`;
  }
  return null;
}
