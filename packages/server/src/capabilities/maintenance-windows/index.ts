import { ApiError } from "../../errors.js";
import type { Capability } from "../../runtime.js";
import { windowArn } from "./events.js";
import { runWindows } from "./executor.js";
import {
  cancelMaintenanceWindowExecution,
  describeMaintenanceWindowExecutions,
  describeMaintenanceWindowExecutionTaskInvocations,
  describeMaintenanceWindowExecutionTasks,
  getMaintenanceWindowExecution,
  getMaintenanceWindowExecutionTask,
  getMaintenanceWindowExecutionTaskInvocation,
} from "./ops-executions.js";
import { describeMaintenanceWindowSchedule, describeMaintenanceWindowsForTarget } from "./ops-schedule.js";
import {
  deregisterTargetFromMaintenanceWindow,
  describeMaintenanceWindowTargets,
  registerTargetWithMaintenanceWindow,
  updateMaintenanceWindowTarget,
} from "./ops-targets.js";
import {
  deregisterTaskFromMaintenanceWindow,
  describeMaintenanceWindowTasks,
  getMaintenanceWindowTask,
  registerTaskWithMaintenanceWindow,
  updateMaintenanceWindowTask,
} from "./ops-tasks.js";
import {
  createMaintenanceWindow,
  deleteMaintenanceWindow,
  describeMaintenanceWindows,
  getMaintenanceWindow,
  updateMaintenanceWindow,
  WINDOW_TAG_TYPE,
} from "./ops-windows.js";
import { runCommandTask } from "./run-command-task.js";
import { getWindow } from "./store.js";
import { windowMigrations } from "./tables.js";
import { registerTaskType } from "./task-types.js";

export {
  type InvocationStart,
  type InvocationTarget,
  registerTaskType,
  type TaskDefinition,
  type TaskInvocationStatus,
  type TaskTypeRunner,
} from "./task-types.js";
export { CALENDAR_TAG } from "./executor.js";

/**
 * Maintenance Windows: the 23 window operations, the scheduler that opens windows at their time and
 * runs their tasks, and the task-type seam (RUN_COMMAND here; AUTOMATION registers from its capability).
 */
export const maintenanceWindowsCapability: Capability = {
  name: "maintenance-windows",
  migrations: windowMigrations,
  operations: [
    createMaintenanceWindow,
    getMaintenanceWindow,
    updateMaintenanceWindow,
    deleteMaintenanceWindow,
    describeMaintenanceWindows,
    registerTargetWithMaintenanceWindow,
    deregisterTargetFromMaintenanceWindow,
    updateMaintenanceWindowTarget,
    describeMaintenanceWindowTargets,
    registerTaskWithMaintenanceWindow,
    deregisterTaskFromMaintenanceWindow,
    updateMaintenanceWindowTask,
    getMaintenanceWindowTask,
    describeMaintenanceWindowTasks,
    describeMaintenanceWindowExecutions,
    getMaintenanceWindowExecution,
    describeMaintenanceWindowExecutionTasks,
    getMaintenanceWindowExecutionTask,
    describeMaintenanceWindowExecutionTaskInvocations,
    getMaintenanceWindowExecutionTaskInvocation,
    cancelMaintenanceWindowExecution,
    describeMaintenanceWindowSchedule,
    describeMaintenanceWindowsForTarget,
  ],
  start(services) {
    registerTaskType(services, runCommandTask);
    services.taggable.set(WINDOW_TAG_TYPE, {
      async resolve(ctx, resourceId) {
        const row = await getWindow(ctx.services.db, ctx.scope, resourceId);
        if (!row) throw new ApiError("InvalidResourceId", `Maintenance window ${resourceId} does not exist in ${ctx.region}; check the ResourceId.`);
        return { id: row.window_id, arn: windowArn(ctx.scope, row.window_id) };
      },
    });
    services.scheduler.register({ name: "maintenance-windows", run: (now) => runWindows(services, now) });
  },
};
