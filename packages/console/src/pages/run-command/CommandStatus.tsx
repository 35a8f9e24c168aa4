import StatusIndicator, { type StatusIndicatorProps } from "@cloudscape-design/components/status-indicator";

const TYPE: Record<string, StatusIndicatorProps.Type> = {
  Pending: "pending",
  InProgress: "in-progress",
  Delayed: "pending",
  Success: "success",
  Cancelled: "stopped",
  Cancelling: "in-progress",
  Failed: "error",
  TimedOut: "error",
  Undeliverable: "error",
  Terminated: "stopped",
  DeliveryTimedOut: "error",
  ExecutionTimedOut: "error",
  RateExceeded: "warning",
  AccessDenied: "error",
  NoInstancesInTag: "warning",
};

export function CommandStatus({ status }: { status?: string }) {
  return <StatusIndicator type={TYPE[status ?? ""] ?? "info"}>{status ?? "-"}</StatusIndicator>;
}
