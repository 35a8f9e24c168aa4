/** A service setting openssm offers: its id (as AWS names it), default value and allowed values. */
export interface SettingDefinition {
  id: string;
  defaultValue: string;
  allowed: string[];
  /** For free-form values (JSON): what is wrong with a value, or undefined when it is acceptable (`allowed` is then ignored). */
  check?(value: string): string | undefined;
}

/** Change Manager's approver lists: {"users":{"<arn>":""},"groups":{},"roles":{"<arn>":""}} (AWS's form). */
function approverListProblem(value: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return 'it is not JSON; give {"users":{"arn:aws:iam::<account>:user/<name>":""},"roles":{}}';
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return "it is not a JSON object with users, groups and roles";
  for (const [k, v] of Object.entries(parsed)) {
    if (!["users", "groups", "roles"].includes(k)) return `${k} is not one of users, groups, roles`;
    if (typeof v !== "object" || v === null || Array.isArray(v)) return `${k} is not an object whose keys are ARNs`;
  }
  return undefined;
}

/**
 * The service settings openssm honours. Each one changes what the server does; AWS's other
 * settings (Automation log destinations, Explorer, OpsCenter, the EC2 management role) belong to
 * capabilities openssm does not have yet and are refused with ServiceSettingNotFound.
 */
export const SETTINGS: readonly SettingDefinition[] = [
  // The tier PutParameter uses when the request names none.
  { id: "/ssm/parameter-store/default-parameter-tier", defaultValue: "Standard", allowed: ["Standard", "Advanced", "Intelligent-Tiering"] },
  // Parameter Store's higher throughput quota: openssm does not throttle, so either value is honoured.
  { id: "/ssm/parameter-store/high-throughput-enabled", defaultValue: "false", allowed: ["true", "false"] },
  // OpsCenter's rules (openssm's own ids): the severity of the OpsItems a rule opens, or Disabled.
  { id: "/ssm/opsitem/rules/failed-command", defaultValue: "2", allowed: ["Disabled", "1", "2", "3", "4"] },
  { id: "/ssm/opsitem/rules/failed-automation", defaultValue: "2", allowed: ["Disabled", "1", "2", "3", "4"] },
  { id: "/ssm/opsitem/rules/connection-lost", defaultValue: "3", allowed: ["Disabled", "1", "2", "3", "4"] },
  { id: "/ssm/opsitem/rules/association-non-compliant", defaultValue: "3", allowed: ["Disabled", "1", "2", "3", "4"] },
  // Change Manager: StartChangeRequestExecution takes only templates whose version was approved.
  { id: "/ssm/change-management/require-approved-templates-only", defaultValue: "True", allowed: ["True", "False"] },
  // Change Manager: who may approve or reject change template versions ({} = anyone IAM allows UpdateDocumentMetadata).
  { id: "/ssm/documents/automation/change-template/reviewers", defaultValue: "{}", allowed: [], check: approverListProblem },
  // Change Manager: who may let a change run although its change calendar is closed at the scheduled time ({} = nobody).
  { id: "/ssm/change-management/change-calendar/override-approver-list", defaultValue: "{}", allowed: [], check: approverListProblem },
];

export const DEFAULT_PARAMETER_TIER = "/ssm/parameter-store/default-parameter-tier";
