import type { Capability } from "../../runtime.js";
import { listComplianceItems, listComplianceSummaries, listResourceComplianceSummaries, putComplianceItems } from "./ops-items.js";
import { complianceMigrations } from "./tables.js";

export { type ComplianceItemInput, type ComplianceWrite, removeComplianceItems, writeCompliance } from "./record.js";

/**
 * Compliance: items per node and compliance type (Association, Patch, Custom:...), written by
 * PutComplianceItems and by State Manager itself, summarized per node and per type, with
 * "Configuration Compliance State Change" events when a node's status for a type changes.
 */
export const complianceCapability: Capability = {
  name: "compliance",
  migrations: complianceMigrations,
  operations: [putComplianceItems, listComplianceItems, listComplianceSummaries, listResourceComplianceSummaries],
};
