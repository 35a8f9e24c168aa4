import type { BusEvent } from "../../events/bus.js";
import type { Scope } from "../../storage/scope.js";

/**
 * OpsCenter's rules: what in openssm's events opens an OpsItem on its own. Each rule is switched and
 * given its severity by a service setting (`/ssm/opsitem/rules/<name>`: 1-4, or Disabled), and names
 * a subject (a command, an execution, a node's loss of contact): one subject opens one OpsItem, however
 * often and on however many replicas it is reported. The dedup string folds a subject into an item
 * that is still open for the same thing.
 */
export type RuleName = "failed-command" | "failed-automation" | "connection-lost" | "association-non-compliant";

export const RULE_NAMES: readonly RuleName[] = ["failed-command", "failed-automation", "connection-lost", "association-non-compliant"];
export const ruleSettingId = (rule: RuleName) => `/ssm/opsitem/rules/${rule}`;

/** The OpsItem a rule opens (or adds resources to, when its subject already opened one). */
export interface RuleHit {
  rule: RuleName;
  scope: Scope;
  /** What the rule acted on: one OpsItem per subject. */
  subject: string;
  dedup: string;
  title: string;
  description: string;
  category: string;
  /** ARNs of the resources involved (the OpsItem's /aws/resources). */
  resources: string[];
  /** Searchable facts (CommandId, DocumentName, ...) for DescribeOpsItems' OperationalData filters. */
  facts: Record<string, string>;
}

const FAILED_COMMAND = new Set(["Failed", "TimedOut"]);
const FAILED_AUTOMATION = new Set(["Failed", "TimedOut"]);
const str = (v: unknown) => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));

/** The hit an event makes, if any rule matches it. */
export function ruleHitOf(event: BusEvent): RuleHit | undefined {
  const scope = { accountId: event.account, region: event.region };
  const d = event.detail;
  switch (event["detail-type"]) {
    // A command that failed, seen per node (each failed invocation) and as a whole: one subject, the command.
    case "EC2 Command Invocation Status-change Notification":
    case "EC2 Command Status-change Notification": {
      const status = str(d.status);
      if (!FAILED_COMMAND.has(status)) return undefined;
      const commandId = str(d["command-id"]);
      const document = str(d["document-name"]);
      const instance = str(d["instance-id"]);
      return {
        rule: "failed-command",
        scope,
        subject: commandId,
        dedup: `openssm:run-command:${commandId}`,
        title: `Run Command ${commandId} (${document}) ${status === "TimedOut" ? "timed out" : "failed"}`,
        description: `The command ${commandId} running ${document} ended ${status}${instance ? ` on ${instance}` : ""}. GetCommandInvocation shows each node's output.`,
        category: "Availability",
        // The per-node events name the node that failed; the command's own names every node it was sent to.
        resources: instance ? event.resources : [],
        facts: { CommandId: commandId, DocumentName: document, Status: status },
      };
    }
    case "EC2 Automation Execution Status-change Notification": {
      const status = str(d.Status);
      // A child execution's failure fails its parent: the parent's item tells it once.
      if (!FAILED_AUTOMATION.has(status) || d.ParentExecutionId) return undefined;
      const executionId = str(d.ExecutionId);
      const document = str(d.Definition);
      return {
        rule: "failed-automation",
        scope,
        subject: executionId,
        dedup: `openssm:automation:${executionId}`,
        title: `Automation ${executionId} (${document}) ${status === "TimedOut" ? "timed out" : "failed"}`,
        description: `The automation execution ${executionId} of ${document}, started by ${str(d.ExecutedBy) || "an unknown principal"}, ended ${status}. GetAutomationExecution shows the failed step.`,
        category: "Availability",
        resources: event.resources,
        facts: { AutomationExecutionId: executionId, DocumentName: document, Status: status },
      };
    }
    case "Configuration Compliance State Change": {
      if (str(d["compliance-type"]) !== "Association" || str(d["compliance-status"]) !== "NON_COMPLIANT") return undefined;
      const resourceId = str(d["resource-id"]);
      return {
        rule: "association-non-compliant",
        scope,
        // Each change to NON_COMPLIANT is one subject; while its item is open, the dedup string folds repeats in.
        subject: `${resourceId}@${event.id}`,
        dedup: `openssm:association-compliance:${resourceId}`,
        title: `Association compliance of ${resourceId} is NON_COMPLIANT`,
        description: `State Manager associations on ${resourceId} became NON_COMPLIANT (severity ${str(d.severity) || "UNSPECIFIED"}). ListComplianceItems shows which association failed.`,
        category: "Security",
        resources: event.resources,
        facts: { ResourceId: resourceId, ComplianceType: "Association", ...(d["execution-id"] ? { ExecutionId: str(d["execution-id"]) } : {}) },
      };
    }
    default:
      return undefined;
  }
}

/** The hit of a node that stopped reporting (found by a periodic check: ping status is derived, not an event). */
export function connectionLostHit(scope: Scope, node: { instanceId: string; name?: string; lastPingAt: number }, arn: string): RuleHit {
  const last = new Date(node.lastPingAt).toISOString();
  return {
    rule: "connection-lost",
    scope,
    // One loss of contact: the node's last contact before it.
    subject: `${node.instanceId}@${node.lastPingAt}`,
    dedup: `openssm:connection-lost:${node.instanceId}`,
    title: `Managed node ${node.instanceId}${node.name ? ` (${node.name})` : ""} lost its connection`,
    description: `${node.instanceId} has not been heard from since ${last}; its ping status is ConnectionLost. Check the agent and the node's network.`,
    category: "Availability",
    resources: [arn],
    facts: { InstanceId: node.instanceId, LastPingDateTime: last },
  };
}
