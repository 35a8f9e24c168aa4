import type { StatusIndicatorProps } from "@cloudscape-design/components/status-indicator";

/** How an automation or step status is shown. */
export function statusType(status: string | undefined): StatusIndicatorProps.Type {
  switch (status) {
    case "Success":
    case "CompletedWithSuccess":
      return "success";
    case "Failed":
    case "TimedOut":
    case "CompletedWithFailure":
      return "error";
    case "Cancelled":
    case "Cancelling":
      return "stopped";
    case "Waiting":
    case "PendingApproval":
      return "pending";
    case "InProgress":
    case "Pending":
    case "Approved":
    case "RunbookInProgress":
      return "in-progress";
    default:
      return "info";
  }
}
