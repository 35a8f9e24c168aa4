import { ApiError } from "../../errors.js";
import type { OperationalData } from "./store.js";
import type { OpsItemRow } from "./tables.js";

/** OpsCenter's per-item quotas (AWS's "resource limits for OpsCenter"). */
export const OPS_ITEM_LIMITS = {
  /** Related OpsItems listed on one OpsItem. */
  RelatedOpsItems: 10,
  /** Resources under /aws/resources. */
  RelatedResources: 100,
  /** Runbooks under /aws/automations. */
  Automations: 10,
} as const;

function limitExceeded(limitType: keyof typeof OPS_ITEM_LIMITS, count: number, what: string): ApiError {
  const limit = OPS_ITEM_LIMITS[limitType];
  return new ApiError(
    "OpsItemLimitExceededException",
    `An OpsItem holds at most ${limit} ${what}; this one would hold ${count}. Remove some and try again.`,
    400,
    { ResourceTypes: ["OpsItem"], Limit: limit, LimitType: limitType },
  );
}

/** Entries of a JSON list held in the operational data (the count only matters when it parses). */
function listLength(data: OperationalData, key: string): number {
  const v = data[key]?.Value;
  if (v === undefined) return 0;
  try {
    const parsed = JSON.parse(v) as unknown;
    return Array.isArray(parsed) ? parsed.length : 0;
  } catch {
    return 0;
  }
}

/** Refuses an OpsItem (as it would be stored) over a per-item quota with OpsItemLimitExceededException. */
export function checkOpsItemLimits(row: Pick<OpsItemRow, "related_ops_items" | "operational_data">): void {
  const related = (JSON.parse(row.related_ops_items) as unknown[]).length;
  if (related > OPS_ITEM_LIMITS.RelatedOpsItems) throw limitExceeded("RelatedOpsItems", related, "related OpsItems (RelatedOpsItems)");
  const data = JSON.parse(row.operational_data) as OperationalData;
  const resources = listLength(data, "/aws/resources");
  if (resources > OPS_ITEM_LIMITS.RelatedResources) throw limitExceeded("RelatedResources", resources, "related resources (/aws/resources)");
  const automations = listLength(data, "/aws/automations");
  if (automations > OPS_ITEM_LIMITS.Automations) throw limitExceeded("Automations", automations, "runbooks (/aws/automations)");
}
