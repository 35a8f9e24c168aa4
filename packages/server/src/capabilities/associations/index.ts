import { ApiError } from "../../errors.js";
import type { Capability } from "../../runtime.js";
import { provideNodeAssociations } from "../nodes/index.js";
import { nodeAssociationSource } from "./node-source.js";
import {
  associationArn,
  createAssociation,
  createAssociationBatch,
  deleteAssociation,
  describeAssociation,
  TAG_TYPE,
  updateAssociation,
} from "./ops-manage.js";
import {
  describeAssociationExecutions,
  describeAssociationExecutionTargets,
  describeEffectiveInstanceAssociations,
  describeInstanceAssociationsStatus,
  listAssociationsOp,
  listAssociationVersions,
} from "./ops-read.js";
import { startAssociationsOnce, updateAssociationStatus } from "./ops-run.js";
import { stateManagerTick } from "./scheduled.js";
import { getAssociation } from "./store.js";
import { associationMigrations } from "./tables.js";

/**
 * State Manager: associations that keep nodes in a desired state. Each applies on its targets at
 * once, again on its schedule (cron, rate, at; ScheduleOffset; ApplyOnlyAtCronInterval; skipped
 * while a change calendar is closed) and on nodes that start to match; MaxConcurrency and MaxErrors
 * pace it; nodes apply it through the agents' own association calls and report back; association
 * compliance follows (SyncCompliance AUTO).
 */
export const associationsCapability: Capability = {
  name: "associations",
  migrations: associationMigrations,
  operations: [
    createAssociation,
    createAssociationBatch,
    describeAssociation,
    updateAssociation,
    deleteAssociation,
    listAssociationsOp,
    listAssociationVersions,
    describeAssociationExecutions,
    describeAssociationExecutionTargets,
    startAssociationsOnce,
    describeEffectiveInstanceAssociations,
    describeInstanceAssociationsStatus,
    updateAssociationStatus,
  ],
  start(services) {
    provideNodeAssociations(services, nodeAssociationSource(services));
    services.scheduler.register({ name: "associations", run: (now) => stateManagerTick(services, now) });
    services.taggable.set(TAG_TYPE, {
      async resolve(ctx, resourceId) {
        const row = await getAssociation(ctx.services.db, ctx, resourceId);
        if (!row) throw new ApiError("InvalidResourceId", `There is no association ${resourceId} in this account and region.`);
        return { id: row.association_id, arn: associationArn(ctx, row.association_id) };
      },
    });
  },
};
