import { ApiError } from "../../errors.js";

/** AWS's limit on policies per parameter. */
export const MAX_POLICIES = 10;

export type PolicyType = "Expiration" | "ExpirationNotification" | "NoChangeNotification";

/** One parameter policy as stored with the parameter (and shown in DescribeParameters / GetParameterHistory). */
export interface StoredPolicy {
  type: PolicyType;
  /** The policy's JSON as the caller wrote it (compact). */
  text: string;
  /** Pending until the policy acted, then Finished. */
  status: "Pending" | "Finished";
  /** Expiration: when the parameter is deleted (epoch ms). */
  at?: number;
  /** ExpirationNotification (Before) / NoChangeNotification (After), in ms. */
  offsetMs?: number;
  /** The attribute as written, for messages: "15 Days". */
  offsetText?: string;
}

const TYPES: PolicyType[] = ["Expiration", "ExpirationNotification", "NoChangeNotification"];
const UNIT_MS: Record<string, number> = { Days: 86_400_000, Hours: 3_600_000 };
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}(:\d{2})?)$/;

/** AWS's text for InvalidPolicyTypeException, then which policy of the list and why. */
const typeError = (detail: string) =>
  new ApiError(
    "InvalidPolicyTypeException",
    `The policy type isn't supported. Parameter Store supports the following policy types: Expiration, ExpirationNotification, and NoChangeNotification. (${detail})`,
  );

function jsonKind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return typeof v === "string" ? `the string ${JSON.stringify(v.slice(0, 64))}` : `the ${typeof v} ${JSON.stringify(v)}`;
}
const attributeError = (message: string) => new ApiError("InvalidPolicyAttributeException", `A policy attribute or its value is invalid: ${message}`);

/** Parses an ISO_INSTANT or ISO_OFFSET_DATE_TIME timestamp to epoch ms, or undefined. */
export function parsePolicyTimestamp(text: string): number | undefined {
  if (!ISO.test(text)) return undefined;
  // JavaScript dates take offsets as ±hh:mm; an offset with seconds (AWS's own example has ":00") drops them.
  const normalized = text.replace(/([+-]\d{2}:\d{2}):\d{2}$/, "$1").replace(/(\.\d{3})\d+/, "$1");
  const ms = Date.parse(normalized);
  return Number.isNaN(ms) ? undefined : ms;
}

function offset(attrs: Record<string, unknown>, field: "Before" | "After", type: PolicyType): { ms: number; text: string } {
  const amount = attrs[field];
  const unit = attrs.Unit;
  const n = typeof amount === "number" ? amount : typeof amount === "string" && /^\d+$/.test(amount) ? Number(amount) : Number.NaN;
  if (!Number.isInteger(n) || n < 1)
    throw attributeError(`${type} needs "${field}" as a whole number of at least 1, such as "15"; got ${JSON.stringify(amount)}.`);
  if (typeof unit !== "string" || !UNIT_MS[unit]) throw attributeError(`${type} needs "Unit" to be "Days" or "Hours"; got ${JSON.stringify(unit)}.`);
  return { ms: n * UNIT_MS[unit], text: `${n} ${unit}` };
}

function parseOne(raw: unknown, index: number, now: number): StoredPolicy {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw typeError(`policy ${index + 1} is ${jsonKind(raw)}, not a policy object such as {"Type":"Expiration","Version":"1.0","Attributes":{...}}`);
  }
  const p = raw as Record<string, unknown>;
  if (typeof p.Type !== "string" || !TYPES.includes(p.Type as PolicyType)) throw typeError(`policy ${index + 1} has Type ${JSON.stringify(p.Type ?? null)}`);
  const type = p.Type as PolicyType;
  const unknown = Object.keys(p).filter((k) => !["Type", "Version", "Attributes"].includes(k));
  if (unknown.length) throw attributeError(`${type} has unknown fields ${unknown.join(", ")}; a policy has Type, Version and Attributes.`);
  if (p.Version !== "1.0") throw attributeError(`${type} needs "Version": "1.0"; got ${JSON.stringify(p.Version ?? null)}.`);
  const attrs = p.Attributes;
  if (typeof attrs !== "object" || attrs === null || Array.isArray(attrs)) throw attributeError(`${type} needs an "Attributes" object.`);
  const a = attrs as Record<string, unknown>;
  const allowed = type === "Expiration" ? ["Timestamp"] : type === "ExpirationNotification" ? ["Before", "Unit"] : ["After", "Unit"];
  const extra = Object.keys(a).filter((k) => !allowed.includes(k));
  if (extra.length) throw attributeError(`${type} does not take the attributes ${extra.join(", ")}; it takes ${allowed.join(" and ")}.`);
  const text = JSON.stringify(raw);
  if (type === "Expiration") {
    const ts = typeof a.Timestamp === "string" ? parsePolicyTimestamp(a.Timestamp) : undefined;
    if (ts === undefined) {
      throw attributeError(
        `Expiration needs "Timestamp" in ISO_INSTANT or ISO_OFFSET_DATE_TIME format, such as 2026-12-02T21:34:33.000Z; got ${JSON.stringify(a.Timestamp ?? null)}.`,
      );
    }
    if (ts <= now) throw attributeError(`the Expiration Timestamp ${a.Timestamp} is in the past; choose a time in the future.`);
    return { type, text, status: "Pending", at: ts };
  }
  const o = offset(a, type === "ExpirationNotification" ? "Before" : "After", type);
  return { type, text, status: "Pending", offsetMs: o.ms, offsetText: o.text };
}

/**
 * Parses and validates a PutParameter `Policies` string as AWS does. An empty list (`[]`, or AWS's
 * documented `[{}]`) removes every policy.
 */
export function parsePolicies(text: string, now: number): StoredPolicy[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ApiError("ValidationException", 'Policies must be a JSON array of policies, such as [{"Type":"Expiration","Version":"1.0","Attributes":{...}}].');
  }
  if (!Array.isArray(raw)) raw = [raw];
  const entries = (raw as unknown[]).filter((p) => !(typeof p === "object" && p !== null && !Array.isArray(p) && Object.keys(p).length === 0));
  if (entries.length > MAX_POLICIES) {
    throw new ApiError(
      "PoliciesLimitExceededException",
      `You specified ${entries.length} policies; a parameter can have at most ${MAX_POLICIES}. Remove some policies and try again.`,
    );
  }
  const policies = entries.map((p, i) => parseOne(p, i, now));
  const count = (t: PolicyType) => policies.filter((p) => p.type === t).length;
  for (const t of ["Expiration", "NoChangeNotification"] as PolicyType[]) {
    if (count(t) > 1) {
      throw new ApiError(
        "IncompatiblePolicyException",
        `There is a conflict in the policies specified for this parameter: it has ${count(t)} ${t} policies and can have only one. Review your policies, and try again.`,
      );
    }
  }
  if (count("ExpirationNotification") > 0 && count("Expiration") === 0) {
    throw new ApiError(
      "IncompatiblePolicyException",
      "There is a conflict in the policies specified for this parameter: an ExpirationNotification policy needs an Expiration policy to count back from. Add one, and try again.",
    );
  }
  return policies;
}

/** When each pending policy is due (epoch ms), given when the parameter last changed. */
export function policyDueAt(policy: StoredPolicy, all: StoredPolicy[], lastModified: number): number | undefined {
  if (policy.status !== "Pending") return undefined;
  if (policy.type === "Expiration") return policy.at;
  if (policy.type === "NoChangeNotification") return lastModified + (policy.offsetMs ?? 0);
  const expiration = all.find((p) => p.type === "Expiration");
  return expiration?.at === undefined ? undefined : expiration.at - (policy.offsetMs ?? 0);
}

/** The earliest time any policy needs the scheduler, or null. */
export function nextPolicyAt(policies: StoredPolicy[], lastModified: number): number | null {
  const due = policies.map((p) => policyDueAt(p, policies, lastModified)).filter((t): t is number => t !== undefined);
  return due.length ? Math.min(...due) : null;
}

/** Policies carried to a new version: a change restarts NoChangeNotification's clock. */
export function carryPolicies(policies: StoredPolicy[]): StoredPolicy[] {
  return policies.map((p) => (p.type === "NoChangeNotification" ? { ...p, status: "Pending" } : p));
}

export function decodePolicies(json: string | null): StoredPolicy[] {
  return json ? (JSON.parse(json) as StoredPolicy[]) : [];
}

export function encodePolicies(policies: StoredPolicy[]): string | null {
  return policies.length ? JSON.stringify(policies) : null;
}

/** The API's ParameterInlinePolicy list. */
export function inlinePolicies(json: string | null): { PolicyText: string; PolicyType: string; PolicyStatus: string }[] {
  return decodePolicies(json).map((p) => ({ PolicyText: p.text, PolicyType: p.type, PolicyStatus: p.status }));
}
