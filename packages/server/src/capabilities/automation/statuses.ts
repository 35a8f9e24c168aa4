/** Execution and step statuses, named as AWS names them (AutomationExecutionStatus). */
export type AutomationStatus =
  | "Pending"
  | "InProgress"
  | "Waiting"
  | "Success"
  | "TimedOut"
  | "Cancelling"
  | "Cancelled"
  | "Failed"
  | "PendingApproval"
  | "Approved"
  | "Rejected";

const TERMINAL = new Set(["Success", "TimedOut", "Cancelled", "Failed", "Rejected", "CompletedWithSuccess", "CompletedWithFailure", "Exited"]);

export function isTerminal(status: string): boolean {
  return TERMINAL.has(status);
}

/** Statuses that count as an error for a parent's MaxErrors. */
export function isError(status: string): boolean {
  return status === "Failed" || status === "TimedOut" || status === "Rejected";
}

/** The execution's ARN (events, authorization). */
export function executionArn(scope: { accountId: string; region: string }, executionId: string): string {
  return `arn:aws:ssm:${scope.region}:${scope.accountId}:automation-execution/${executionId}`;
}

/** The runbook's ARN for StartAutomationExecution's authorization (IAM's automation-definition resource). */
export function definitionArn(scope: { accountId: string; region: string }, documentName: string, version: string): string {
  return `arn:aws:ssm:${scope.region}:${scope.accountId}:automation-definition/${documentName}:${version}`;
}
