import { ApiError } from "../../errors.js";

/** AWS's tier limits. */
export const STANDARD_MAX_VALUE_BYTES = 4096;
export const ADVANCED_MAX_VALUE_BYTES = 8192;
export const STANDARD_MAX_PARAMETERS = 10_000;
export const ADVANCED_MAX_PARAMETERS = 100_000;

const TIERS_DOC = "For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html";

export interface TierRequest {
  /** The Tier in the request, if any. */
  requested?: string;
  /** The parameter's current tier when it exists. */
  existing?: string;
  valueBytes: number;
  policyCount: number;
  /** Whether the account and region already hold the most standard parameters allowed. */
  standardFull: boolean;
}

function checkStandard(r: TierRequest): "Standard" {
  if (r.existing === "Advanced") {
    throw new ApiError(
      "ValidationException",
      "You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. To use the standard tier, delete the parameter and create it again as a standard parameter.",
    );
  }
  if (r.valueBytes > STANDARD_MAX_VALUE_BYTES) {
    throw new ApiError(
      "ValidationException",
      `Standard tier parameters support a maximum parameter value of ${STANDARD_MAX_VALUE_BYTES} bytes (4 KB); this value has ${r.valueBytes}. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier (Tier Advanced or Intelligent-Tiering). ${TIERS_DOC}`,
    );
  }
  if (r.policyCount > 0) {
    throw new ApiError(
      "ValidationException",
      `Parameter policies are supported only by the advanced-parameter tier. Set Tier to Advanced or Intelligent-Tiering to attach policies. ${TIERS_DOC}`,
    );
  }
  return "Standard";
}

function checkAdvanced(r: TierRequest): "Advanced" {
  if (r.valueBytes > ADVANCED_MAX_VALUE_BYTES) {
    throw new ApiError(
      "ValidationException",
      `Advanced tier parameters support a maximum parameter value of ${ADVANCED_MAX_VALUE_BYTES} bytes (8 KB); this value has ${r.valueBytes}. Store a smaller value.`,
    );
  }
  return "Advanced";
}

/**
 * The tier a PutParameter lands in, as AWS decides it: an explicit tier is honoured (never a
 * downgrade); Intelligent-Tiering picks Standard unless the value, the policies or the standard
 * quota need Advanced; no tier keeps the current one (a new parameter gets the default, Standard).
 */
export function resolveTier(r: TierRequest): "Standard" | "Advanced" {
  const requested = r.requested ?? r.existing ?? "Standard";
  if (requested === "Advanced") return checkAdvanced(r);
  if (requested === "Intelligent-Tiering") {
    const needsAdvanced =
      r.existing === "Advanced" || r.valueBytes > STANDARD_MAX_VALUE_BYTES || r.policyCount > 0 || (r.existing === undefined && r.standardFull);
    return needsAdvanced ? checkAdvanced(r) : "Standard";
  }
  return checkStandard(r);
}

export function limitExceeded(tier: string): ApiError {
  return tier === "Standard"
    ? new ApiError(
        "ParameterLimitExceeded",
        `You have reached the maximum number of standard parameters for this AWS account and Region (${STANDARD_MAX_PARAMETERS}). To add more parameters, either delete existing parameters or upgrade to the advanced-parameter tier (Tier Advanced or Intelligent-Tiering).`,
      )
    : new ApiError(
        "ParameterLimitExceeded",
        `You have reached the maximum number of advanced parameters for this AWS account and Region (${ADVANCED_MAX_PARAMETERS}). Delete parameters you no longer need and try again.`,
      );
}
