import type { Services } from "../../runtime.js";
import type { ExecutionIdentity } from "./identity.js";
import type { Runbook } from "./runbook.js";
import type { ExecutionRow, StepRow } from "./tables.js";

/** One look at an execution by the executor: the rows as they are now. */
export interface Turn {
  services: Services;
  exec: ExecutionRow;
  runbook: Runbook;
  steps: StepRow[];
  owner: string;
  now: number;
  /** Advances another execution soon (a child started, a parent to tell). */
  kick(executionId: string): void;
  /** Who the execution acts as, loaded once per run of the executor (policies as they were then). */
  identity(): Promise<ExecutionIdentity>;
}
