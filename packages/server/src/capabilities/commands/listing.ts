import type { CommandFilter } from "@aws-sdk/client-ssm";
import { ApiError } from "../../http/errors.js";

/** NextToken: opaque base64 of the position in the listing. */
export function encodeToken(offset: number, kind: string): string {
  return Buffer.from(JSON.stringify({ k: kind, o: offset })).toString("base64url");
}

export function decodeToken(token: string | undefined, kind: string): number {
  if (!token) return 0;
  try {
    const t = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { k?: string; o?: number };
    if (t.k === kind && Number.isInteger(t.o) && (t.o as number) >= 0) return t.o as number;
  } catch {
    // fall through
  }
  throw new ApiError("InvalidNextToken", "The NextToken is not one this listing returned; start again without it.");
}

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
