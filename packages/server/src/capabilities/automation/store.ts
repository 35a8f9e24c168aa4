import { inScope, type Scope } from "../../storage/scope.js";
import type { AnyDb } from "../../storage/database.js";
import { automationDb, type ExecutionRow, type StepRow } from "./tables.js";

export async function getExecution(db: AnyDb, executionId: string): Promise<ExecutionRow | undefined> {
  return automationDb(db).selectFrom("automation_executions").selectAll().where("execution_id", "=", executionId).executeTakeFirst();
}

export async function getScopedExecution(db: AnyDb, scope: Scope, executionId: string): Promise<ExecutionRow | undefined> {
  return automationDb(db).selectFrom("automation_executions").selectAll().where(inScope(scope)).where("execution_id", "=", executionId).executeTakeFirst();
}

export async function listSteps(db: AnyDb, executionId: string): Promise<StepRow[]> {
  return automationDb(db).selectFrom("automation_steps").selectAll().where("execution_id", "=", executionId).orderBy("seq").execute();
}

export async function getStep(db: AnyDb, stepExecutionId: string): Promise<StepRow | undefined> {
  return automationDb(db).selectFrom("automation_steps").selectAll().where("step_execution_id", "=", stepExecutionId).executeTakeFirst();
}

export async function children(db: AnyDb, parentId: string): Promise<Pick<ExecutionRow, "execution_id" | "status" | "target">[]> {
  return automationDb(db)
    .selectFrom("automation_executions")
    .select(["execution_id", "status", "target"])
    .where("parent_execution_id", "=", parentId)
    .orderBy("started_at")
    .execute();
}

/** The execution a step started (aws:executeAutomation), if it got that far before a crash. */
export async function childOfStep(db: AnyDb, parentId: string, stepExecutionId: string): Promise<string | undefined> {
  const row = await automationDb(db)
    .selectFrom("automation_executions")
    .select("execution_id")
    .where("parent_execution_id", "=", parentId)
    .where("parent_step_execution_id", "=", stepExecutionId)
    .executeTakeFirst();
  return row?.execution_id;
}

export async function updateExecution(db: AnyDb, executionId: string, set: Partial<ExecutionRow>): Promise<void> {
  await automationDb(db).updateTable("automation_executions").set(set).where("execution_id", "=", executionId).execute();
}

export async function updateStep(db: AnyDb, stepExecutionId: string, set: Partial<StepRow>): Promise<void> {
  await automationDb(db).updateTable("automation_steps").set(set).where("step_execution_id", "=", stepExecutionId).execute();
}

/** Asks the scheduler to look at an execution now (any replica's scheduler may pick it up). */
export async function wakeNow(db: AnyDb, executionId: string, now: number): Promise<void> {
  await automationDb(db)
    .updateTable("automation_executions")
    .set({ wake_at: now })
    .where("execution_id", "=", executionId)
    .where("ended_at", "is", null)
    .execute();
}

export const parseJson = <T>(text: string | null | undefined, fallback: T): T => {
  if (text === null || text === undefined || text === "") return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};
