import type { Capability, ServerSlot } from "../../runtime.js";
import { addDescriptionExtension } from "../documents/index.js";
import { describeReview } from "./describe-review.js";
import { startChangeRequestExecution } from "./ops-start.js";
import { listDocumentMetadataHistory, updateDocumentMetadata } from "./ops-template-review.js";
import { changeManagerMigrations } from "./tables.js";
import { subscribeToExecutions, trackOpen } from "./tracking.js";

// DescribeDocument (read-only: API worker processes answer it too) shows a change template's review status.
addDescriptionExtension(describeReview);

const SUBSCRIPTION: ServerSlot<{ stop?: () => void }> = { name: "change-manager-subscription", create: () => ({}) };

/**
 * Change Manager: change template reviews (UpdateDocumentMetadata, ListDocumentMetadataHistory, and
 * DescribeDocument's review fields) and change requests (StartChangeRequestExecution): an automation
 * execution of a composed runbook, tracked in an /aws/changerequest OpsItem.
 */
export const changeManagerCapability: Capability = {
  name: "change-manager",
  migrations: changeManagerMigrations,
  operations: [updateDocumentMetadata, listDocumentMetadataHistory, startChangeRequestExecution],
  start(services) {
    services.own(SUBSCRIPTION).stop = subscribeToExecutions(services);
    services.scheduler.register({ name: "change-manager-tracking", run: () => trackOpen(services) });
  },
  stop(services) {
    services.own(SUBSCRIPTION).stop?.();
  },
};
