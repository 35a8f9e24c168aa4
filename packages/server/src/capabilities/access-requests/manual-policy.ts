import { ApiError } from "../../errors.js";
import { findPrincipal, getPrincipal } from "../../iam/principals.js";
import type { RequestContext } from "../../runtime.js";
import { listDocumentsOfType } from "../documents/index.js";

/** The document type of manual approval policies. */
export const MANUAL_POLICY_TYPE = "ManualApprovalPolicy";

/** AWS's limits: 1 to 336 hours of access, up to 5 levels of up to 5 approvers, 50 policies per account and region. */
export const LIMITS = { minHours: 1, maxHours: 336, maxLevels: 5, maxApprovers: 5, maxPolicies: 50 } as const;

/** The `targets` value of a policy for every node. */
export const ALL_NODES = "AllNodes";

/** One tag a policy targets: a key with one value, or a key with any value (value undefined). */
export interface TagTarget {
  key: string;
  value?: string;
}

export interface Approver {
  approver: string;
  /** IamUser or IamRole; undefined: a user name, or an ARN of either. */
  type?: string;
}

export interface ManualPolicy {
  description?: string;
  accessDurationHours: number;
  /** undefined: all nodes. */
  tags?: TagTarget[];
  levels: { approvers: Approver[]; minRequiredApprovals: number }[];
}

const invalid = (name: string, message: string) => new ApiError("InvalidDocumentContent", `Manual approval policy${name ? ` ${name}` : ""}: ${message}`);

const EXAMPLE =
  'for example {"schemaVersion":"1.0","accessDurationHours":4,"targets":[{"Key":"tag:Environment","Values":["Production"]}],"approvalLevels":[{"approvers":[{"approver":"alice","type":"IamUser"}],"minRequiredApprovals":1}]}';

/** The targets of a policy: "AllNodes", or SSM-style targets over tags (tag:<key> with values, tag-key with keys). */
function readTargets(name: string, raw: unknown): TagTarget[] | undefined {
  if (raw === ALL_NODES) return undefined;
  if (!Array.isArray(raw) || raw.length === 0) {
    throw invalid(
      name,
      `targets must be "${ALL_NODES}" or a list of tag targets such as [{"Key":"tag:Environment","Values":["Production"]}] or [{"Key":"tag-key","Values":["Database"]}].`,
    );
  }
  const tags: TagTarget[] = [];
  for (const [i, t] of raw.entries()) {
    const key = typeof t?.Key === "string" ? t.Key : "";
    const values = Array.isArray(t?.Values) ? (t.Values as unknown[]) : [];
    if (!values.length || values.some((v) => typeof v !== "string" || v === "")) {
      throw invalid(name, `targets[${i}] needs Values, a list of non-empty strings.`);
    }
    if (key.startsWith("tag:") && key.length > 4) {
      for (const v of values as string[]) tags.push({ key: key.slice(4), value: v });
    } else if (key === "tag-key") {
      for (const v of values as string[]) tags.push({ key: v });
    } else {
      throw invalid(
        name,
        `targets[${i}] has Key ${JSON.stringify(t?.Key)}; a manual approval policy targets nodes by tag: Key tag:<tag key> (Values: tag values) or tag-key (Values: tag keys), or all nodes with targets: "${ALL_NODES}".`,
      );
    }
  }
  const seen = new Set<string>();
  for (const t of tags) {
    const id = tagLabel(t);
    if (seen.has(id)) throw invalid(name, `targets names ${id} twice.`);
    seen.add(id);
  }
  return tags;
}

export const tagLabel = (t: TagTarget) => (t.value === undefined ? `tag key ${t.key}` : `tag ${t.key}=${t.value}`);

/** Reads (and checks the shape of) a manual approval policy's content; InvalidDocumentContent says what to fix. */
export function readManualPolicy(name: string, content: Record<string, any>): ManualPolicy {
  if (content === null || typeof content !== "object" || Array.isArray(content)) throw invalid(name, `the content must be a JSON or YAML object, ${EXAMPLE}.`);
  const known = new Set(["schemaVersion", "description", "accessDurationHours", "targets", "approvalLevels"]);
  const unknown = Object.keys(content).filter((k) => !known.has(k));
  if (unknown.length) throw invalid(name, `unknown field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; the fields are ${[...known].join(", ")}.`);
  if (content.schemaVersion !== undefined && String(content.schemaVersion) !== "1.0" && content.schemaVersion !== 1) {
    throw invalid(name, `schemaVersion ${content.schemaVersion} is not supported; use "1.0".`);
  }
  if (content.description !== undefined && typeof content.description !== "string") throw invalid(name, "description must be a string.");
  const hours = content.accessDurationHours;
  if (hours === undefined)
    throw invalid(name, `accessDurationHours is required: how long (hours, ${LIMITS.minHours} to ${LIMITS.maxHours}) an approved request may start sessions.`);
  if (typeof hours !== "number" || !Number.isInteger(hours) || hours < LIMITS.minHours || hours > LIMITS.maxHours) {
    throw invalid(name, `accessDurationHours ${JSON.stringify(hours)} must be a whole number of hours from ${LIMITS.minHours} to ${LIMITS.maxHours}.`);
  }
  if (content.targets === undefined) throw invalid(name, `targets is required: "${ALL_NODES}" or tag targets, ${EXAMPLE}.`);
  const tags = readTargets(name, content.targets);
  const levels = content.approvalLevels;
  if (!Array.isArray(levels) || levels.length === 0) {
    throw invalid(name, `approvalLevels is required: 1 to ${LIMITS.maxLevels} levels, each with approvers and minRequiredApprovals, ${EXAMPLE}.`);
  }
  if (levels.length > LIMITS.maxLevels) {
    throw invalid(
      name,
      `approvalLevels has ${levels.length} levels; AWS allows at most ${LIMITS.maxLevels}. Merge levels so that ${LIMITS.maxLevels} or fewer remain.`,
    );
  }
  const out: ManualPolicy["levels"] = [];
  for (const [i, level] of levels.entries()) {
    const where = `approval level ${i + 1}`;
    const list = level?.approvers;
    if (!Array.isArray(list) || list.length === 0)
      throw invalid(name, `${where} names no approver: give approvers, a list of {"approver":"<IAM user or role name or ARN>","type":"IamUser|IamRole"}.`);
    if (list.length > LIMITS.maxApprovers) {
      throw invalid(name, `${where} names ${list.length} approvers; AWS allows at most ${LIMITS.maxApprovers} per level.`);
    }
    const approvers: Approver[] = list.map((a: unknown, j: number) => {
      if (typeof a === "string" && a) return { approver: a };
      const o = a as Record<string, unknown> | null;
      if (!o || typeof o.approver !== "string" || !o.approver)
        throw invalid(name, `${where}, approver ${j + 1}: give {"approver":"<name or ARN>","type":"IamUser|IamRole"}.`);
      if (o.type !== undefined && o.type !== "IamUser" && o.type !== "IamRole") {
        throw invalid(
          name,
          `${where}: approver ${o.approver} has type ${String(o.type)}; openssm takes IamUser and IamRole approvers${o.type === "IamGroup" ? " (it has no IAM groups: name the users or a role)" : ""}.`,
        );
      }
      return { approver: o.approver, type: o.type as string | undefined };
    });
    const min = level.minRequiredApprovals ?? 1;
    if (typeof min !== "number" || !Number.isInteger(min) || min < 1)
      throw invalid(name, `${where}: minRequiredApprovals must be a whole number of at least 1.`);
    if (min > approvers.length) throw invalid(name, `${where} needs ${min} approvals but names only ${approvers.length} approver(s).`);
    out.push({ approvers, minRequiredApprovals: min });
  }
  return { description: content.description, accessDurationHours: hours, tags, levels: out };
}

/** Resolves each approver to the ARN of an existing IAM user or role of the account; the missing ones by name. */
export async function resolveApprovers(ctx: RequestContext, approvers: Approver[]): Promise<{ arns: string[]; missing: string[] }> {
  const arns: string[] = [];
  const missing: string[] = [];
  for (const a of approvers) {
    if (a.approver.startsWith("arn:")) {
      const p = await getPrincipal(ctx.services.db, a.approver);
      if (p && (p.kind === "user" || p.kind === "role") && p.accountId === ctx.accountId) arns.push(p.arn);
      else missing.push(a.approver);
      continue;
    }
    const kind = a.type === "IamRole" ? "role" : "user";
    const row = await findPrincipal(ctx.services.db, ctx.accountId, kind, a.approver);
    if (row) arns.push(row.arn);
    else missing.push(`${kind} ${a.approver}`);
  }
  return { arns: [...new Set(arns)], missing };
}

/** A manual approval policy of the caller's account and region, read from its default version. */
export interface StoredManualPolicy {
  name: string;
  version: number;
  policy: ManualPolicy;
}

/** The caller's account's and region's manual approval policies (those whose content no longer reads are left out). */
export async function manualPolicies(ctx: RequestContext): Promise<StoredManualPolicy[]> {
  const mine = await listDocumentsOfType(ctx.services.db, MANUAL_POLICY_TYPE, ctx);
  const out: StoredManualPolicy[] = [];
  for (const d of mine) {
    try {
      out.push({ name: d.name, version: d.version, policy: readManualPolicy(d.name, (await d.load()).content) });
    } catch {
      // A policy stored before a stricter check: it targets nothing until it is fixed.
    }
  }
  return out;
}

/**
 * CreateDocument / UpdateDocument of a ManualApprovalPolicy: the content's shape, approvers that are
 * existing IAM users or roles of the account, each tag (and all nodes) targeted by one policy only,
 * and at most 50 policies.
 */
export async function checkManualPolicyDocument(ctx: RequestContext, name: string, content: Record<string, any>): Promise<void> {
  const policy = readManualPolicy(name, content);
  for (const [i, level] of policy.levels.entries()) {
    const { missing } = await resolveApprovers(ctx, level.approvers);
    if (missing.length) {
      throw invalid(
        name,
        `approval level ${i + 1}: ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not an IAM user or role of account ${ctx.accountId}. Create ${missing.length > 1 ? "them" : "it"} first, or name existing users or roles.`,
      );
    }
  }
  const others = (await manualPolicies(ctx)).filter((p) => p.name !== name);
  if (others.length >= LIMITS.maxPolicies) {
    throw new ApiError(
      "DocumentLimitExceeded",
      `This account already has ${LIMITS.maxPolicies} manual approval policies in ${ctx.region}, the most AWS allows; delete one you no longer use.`,
    );
  }
  for (const other of others) {
    if (policy.tags === undefined && other.policy.tags === undefined) {
      throw invalid(name, `${other.name} already targets all nodes; only one manual approval policy may target all nodes. Update ${other.name} instead.`);
    }
    for (const t of policy.tags ?? []) {
      if ((other.policy.tags ?? []).some((o) => o.key === t.key && o.value === t.value)) {
        throw invalid(
          name,
          `${tagLabel(t)} is already targeted by the manual approval policy ${other.name}; a tag may be targeted by one manual approval policy only.`,
        );
      }
    }
  }
}

export type ManualChoice = { kind: "policy"; policy: StoredManualPolicy; matched: string } | { kind: "conflict"; detail: string } | { kind: "none" };

const applies = (t: TagTarget, nodeTags: Record<string, string>) => Object.hasOwn(nodeTags, t.key) && (t.value === undefined || nodeTags[t.key] === t.value);

/**
 * The manual approval policy for a node, as AWS picks it: a policy targeting one of the node's tags
 * wins over the all-nodes policy; two tag policies that both apply are a conflict.
 */
export async function manualPolicyFor(ctx: RequestContext, nodeTags: Record<string, string>): Promise<ManualChoice> {
  const policies = await manualPolicies(ctx);
  const tagged = policies
    .map((p) => ({ p, hits: (p.policy.tags ?? []).filter((t) => applies(t, nodeTags)) }))
    .filter((x) => x.p.policy.tags !== undefined && x.hits.length > 0);
  if (tagged.length > 1) {
    const detail = tagged.map((x) => `${x.p.name} (${x.hits.map(tagLabel).join(", ")})`).join(" and ");
    return { kind: "conflict", detail };
  }
  if (tagged.length === 1) return { kind: "policy", policy: tagged[0].p, matched: tagged[0].hits.map(tagLabel).join(", ") };
  const all = policies.find((p) => p.policy.tags === undefined);
  return all ? { kind: "policy", policy: all, matched: "all nodes" } : { kind: "none" };
}
