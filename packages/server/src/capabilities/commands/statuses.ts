/**
 * Run Command's status model, as AWS reports it: StatusDetails carry the detail, Status the summary.
 * Pure functions; the rest of the capability stores what they decide.
 */

export type CommandStatus = "Pending" | "InProgress" | "Success" | "Cancelled" | "Failed" | "TimedOut" | "Cancelling";
export type InvocationStatus = "Pending" | "InProgress" | "Delayed" | "Success" | "Cancelled" | "TimedOut" | "Failed" | "Cancelling";

/** An invocation's (and a plugin's) StatusDetails. */
export type InvocationDetails =
  | "Pending"
  | "InProgress"
  | "Delayed"
  | "Success"
  | "DeliveryTimedOut"
  | "ExecutionTimedOut"
  | "Failed"
  | "Canceled"
  | "Undeliverable"
  | "Terminated"
  | "Cancelling";

export interface StatusPair<S extends string = string> {
  status: S;
  details: string;
}

const INVOCATION_STATUS: Record<InvocationDetails, InvocationStatus> = {
  Pending: "Pending",
  InProgress: "InProgress",
  Delayed: "Delayed",
  Success: "Success",
  DeliveryTimedOut: "TimedOut",
  ExecutionTimedOut: "TimedOut",
  Failed: "Failed",
  Canceled: "Cancelled",
  Undeliverable: "Failed",
  Terminated: "Cancelled",
  Cancelling: "Cancelling",
};

export const TERMINAL_DETAILS: ReadonlySet<string> = new Set([
  "Success",
  "DeliveryTimedOut",
  "ExecutionTimedOut",
  "Failed",
  "Canceled",
  "Undeliverable",
  "Terminated",
]);

export function invocationStatus(details: InvocationDetails): StatusPair<InvocationStatus> {
  return { status: INVOCATION_STATUS[details], details };
}

/** Whether a string is one of the StatusDetails an invocation can have. */
export function isInvocationDetails(details: string): details is InvocationDetails {
  return Object.hasOwn(INVOCATION_STATUS, details);
}

export function isTerminal(details: string): boolean {
  return TERMINAL_DETAILS.has(details);
}

/** Details that count against MaxErrors (and in ErrorCount). */
export function isError(details: string): boolean {
  return details === "Failed" || details === "ExecutionTimedOut";
}

/**
 * What the agent's document status (SendReplyPayload.documentStatus) means for the invocation.
 * SuccessAndReboot is not final: the agent reboots the node and reports again.
 */
export function invocationFromDocumentStatus(documentStatus: string): InvocationDetails {
  switch (documentStatus) {
    case "Success":
    case "PassedAndReboot":
    case "Skipped":
    case "TestPass":
      return "Success";
    case "Failed":
    case "TestFailure":
      return "Failed";
    case "TimedOut":
      return "ExecutionTimedOut";
    case "Cancelled":
      return "Canceled";
    default:
      return "InProgress";
  }
}

/** A plugin's Status and StatusDetails from the agent's plugin status. */
export function pluginFromAgentStatus(status: string): StatusPair<string> & { terminal: boolean } {
  switch (status) {
    case "NotStarted":
      return { status: "Pending", details: "Pending", terminal: false };
    case "Success":
    case "PassedAndReboot":
    case "TestPass":
      return { status: "Success", details: "Success", terminal: true };
    case "Skipped":
      return { status: "Success", details: "Skipped", terminal: true };
    case "Failed":
    case "TestFailure":
      return { status: "Failed", details: "Failed", terminal: true };
    case "TimedOut":
      return { status: "TimedOut", details: "ExecutionTimedOut", terminal: true };
    case "Cancelled":
      return { status: "Cancelled", details: "Cancelled", terminal: true };
    default:
      return { status: "InProgress", details: "InProgress", terminal: false };
  }
}

export interface InvocationSummary {
  details: string;
  /** Rate control handed it to delivery (or it already ended). */
  dispatched: boolean;
  /** How many invocations this summary stands for (a row of a tally counted by the database); 1 when absent. */
  count?: number;
}

const weight = (i: InvocationSummary) => i.count ?? 1;
const total = (items: InvocationSummary[], pred: (i: InvocationSummary) => boolean) => items.reduce((n, i) => (pred(i) ? n + weight(i) : n), 0);

export interface CommandFacts {
  invocations: InvocationSummary[];
  cancelRequested: boolean;
  maxErrors: number;
}

export interface CommandCounts {
  targetCount: number;
  completedCount: number;
  errorCount: number;
  deliveryTimedOutCount: number;
}

export function countInvocations(invocations: InvocationSummary[]): CommandCounts {
  return {
    targetCount: total(invocations, () => true),
    completedCount: total(invocations, (i) => isTerminal(i.details)),
    errorCount: total(invocations, (i) => isError(i.details)),
    deliveryTimedOutCount: total(invocations, (i) => i.details === "DeliveryTimedOut"),
  };
}

/**
 * The command's Status and StatusDetails from its invocations:
 * - while any invocation is open: Cancelling (a cancel was asked), InProgress (something was sent), Pending;
 * - then Cancelled when the command was cancelled;
 * - Failed / ExecutionTimedOut when more invocations failed than MaxErrors allows;
 * - Success when every invocation that counts succeeded (Undeliverable ones do not count);
 * - DeliveryTimedOut when nothing was delivered in time; Incomplete (Failed) otherwise.
 */
export function commandStatus(facts: CommandFacts): StatusPair<CommandStatus> {
  const all = facts.invocations.filter((i) => weight(i) > 0);
  if (all.length === 0) return { status: "Failed", details: "NoInstancesInTag" };
  const open = all.filter((i) => !isTerminal(i.details));
  if (open.length > 0) {
    if (facts.cancelRequested || open.some((i) => i.details === "Cancelling")) return { status: "Cancelling", details: "Cancelling" };
    if (all.some((i) => i.dispatched && i.details !== "Pending") || all.some((i) => isTerminal(i.details))) {
      return { status: "InProgress", details: "InProgress" };
    }
    return { status: "Pending", details: "Pending" };
  }
  if (facts.cancelRequested) return { status: "Cancelled", details: "Cancelled" };
  const count = (d: string) => total(all, (i) => i.details === d);
  const failed = count("Failed");
  const execTimedOut = count("ExecutionTimedOut");
  if (failed + execTimedOut > facts.maxErrors) {
    return execTimedOut > failed ? { status: "TimedOut", details: "ExecutionTimedOut" } : { status: "Failed", details: "Failed" };
  }
  const counted = all.filter((i) => i.details !== "Undeliverable");
  if (counted.length > 0 && counted.every((i) => i.details === "Success")) return { status: "Success", details: "Success" };
  if (counted.length > 0 && counted.every((i) => i.details === "DeliveryTimedOut")) return { status: "TimedOut", details: "DeliveryTimedOut" };
  return { status: "Failed", details: "Incomplete" };
}
