import type { EventInput } from "../../../events/bus.js";
import type { Principal } from "../../../iam/principals.js";
import { type Action, str } from "./types.js";

export interface ApprovalDecision {
  approver: string;
  decision: "Approve" | "Reject";
  comment: string;
  time: number;
}

export interface ApprovalState {
  approvers: string[];
  minRequired: number;
  decisions: ApprovalDecision[];
  notified?: boolean;
}

/** The approvers a step names: IAM user names or user / role ARNs of openssm (EnhancedApprovals.Approvers too). */
export function approversOf(inputs: Record<string, unknown>): { approvers: string[]; minRequired: number } {
  const enhanced = inputs.EnhancedApprovals as Record<string, unknown> | undefined;
  const list = (enhanced?.Approvers ?? inputs.Approvers) as unknown;
  const approvers = (Array.isArray(list) ? list : [list])
    .flatMap((a) =>
      typeof a === "object" && a !== null ? [str((a as Record<string, unknown>).approver ?? (a as Record<string, unknown>).Approver)] : [str(a)],
    )
    .filter(Boolean);
  const min = Number(enhanced?.MinRequiredApprovals ?? inputs.MinRequiredApprovals ?? 1);
  return { approvers, minRequired: Number.isFinite(min) && min >= 1 ? Math.floor(min) : 1 };
}

/** Whether a principal is one of the approvers a step names (by ARN, or a user by name). */
export function isApprover(state: Pick<ApprovalState, "approvers">, principal: Principal): boolean {
  return state.approvers.some((a) => a === principal.arn || (principal.kind === "user" && a === principal.name));
}

/**
 * aws:approve: waits (status Waiting) for SendAutomationSignal Approve or Reject from the named
 * approvers; MinRequiredApprovals approvals pass it, one rejection fails it. NotificationArn is
 * published as an "Automation Approval Notification" event (event log and webhooks).
 */
export const approveAction: Action = {
  async run(r) {
    const state: ApprovalState = r.state?.approvers ? r.state : { ...approversOf(r.inputs), decisions: [] };
    // Published with the step's first wait (in its transaction): once, however often the step runs.
    const notify: EventInput[] =
      !state.notified && r.inputs.NotificationArn !== undefined
        ? [
            {
              "detail-type": "Automation Approval Notification",
              account: r.scope.accountId,
              region: r.scope.region,
              resources: [str(r.inputs.NotificationArn)],
              detail: {
                NotificationArn: str(r.inputs.NotificationArn),
                AutomationExecutionId: r.exec.execution_id,
                StepName: r.step.step_name,
                StepExecutionId: r.step.step_execution_id,
                Message: str(r.inputs.Message),
                Approvers: state.approvers,
                MinRequiredApprovals: state.minRequired,
              },
            },
          ]
        : [];
    state.notified = true;
    const decisions = state.decisions.map((d) => ({ Approver: d.approver, Decision: d.decision, Comment: d.comment }));
    const rejected = state.decisions.find((d) => d.decision === "Reject");
    if (rejected) {
      return {
        kind: "failed",
        message: `Rejected by ${rejected.approver}${rejected.comment ? `: ${rejected.comment}` : "."}`,
        outputs: { ApprovalStatus: "Rejected", ApproverDecisions: decisions },
      };
    }
    const approvals = new Set(state.decisions.filter((d) => d.decision === "Approve").map((d) => d.approver)).size;
    if (approvals >= state.minRequired) return { kind: "success", outputs: { ApprovalStatus: "Approved", ApproverDecisions: decisions } };
    return { kind: "wait", state, wakeAt: null, status: "Waiting", events: notify };
  },
};
