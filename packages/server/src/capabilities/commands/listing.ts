import type { CommandFilter } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";

export interface ParsedFilters {
  invokedAfter?: number;
  invokedBefore?: number;
  statuses?: string[];
  documentName?: string;
  stage?: "Executing" | "Complete";
}

const STATUSES = ["Pending", "InProgress", "Success", "Cancelled", "Failed", "TimedOut", "Cancelling", "Delayed"];

function parseTime(value: string, key: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new ApiError("InvalidFilterValue", `The ${key} filter needs a time like 2024-01-31T00:00:00Z, got '${value}'.`);
  return t;
}

/** ListCommands / ListCommandInvocations filters: InvokedAfter, InvokedBefore, Status, DocumentName, ExecutionStage. */
export function parseFilters(filters: CommandFilter[] | undefined): ParsedFilters {
  const out: ParsedFilters = {};
  for (const f of filters ?? []) {
    const value = String(f.value);
    switch (f.key) {
      case "InvokedAfter":
        out.invokedAfter = parseTime(value, f.key);
        break;
      case "InvokedBefore":
        out.invokedBefore = parseTime(value, f.key);
        break;
      case "Status":
        if (!STATUSES.includes(value)) throw new ApiError("InvalidFilterValue", `Status filter values are ${STATUSES.join(", ")}; got '${value}'.`);
        out.statuses = [...(out.statuses ?? []), value];
        break;
      case "DocumentName":
        out.documentName = value;
        break;
      case "ExecutionStage":
        if (value !== "Executing" && value !== "Complete") throw new ApiError("InvalidFilterValue", `ExecutionStage is Executing or Complete, got '${value}'.`);
        out.stage = value;
        break;
      default:
        throw new ApiError("InvalidFilterKey", `${f.key} is not a filter key; use InvokedAfter, InvokedBefore, Status, DocumentName or ExecutionStage.`);
    }
  }
  return out;
}

/** Checks a CommandId's form before looking it up. */
export function checkCommandId(id: string | undefined): void {
  if (id !== undefined && !/^[0-9a-fA-F-]{36}$/.test(id)) throw new ApiError("InvalidCommandId", `${id} is not a command id (a UUID).`);
}
