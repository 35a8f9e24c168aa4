/** A service setting openssm offers: its id (as AWS names it), default value and allowed values. */
export interface SettingDefinition {
  id: string;
  defaultValue: string;
  allowed: string[];
}

/**
 * The service settings openssm honours. Each one changes what the server does; AWS's other
 * settings (Automation log destinations, Explorer, OpsCenter, the EC2 management role) belong to
 * capabilities openssm does not have yet and are refused with ServiceSettingNotFound.
 */
export const SETTINGS: readonly SettingDefinition[] = [
  // The tier PutParameter uses when the request names none.
  { id: "/ssm/parameter-store/default-parameter-tier", defaultValue: "Standard", allowed: ["Standard", "Advanced", "Intelligent-Tiering"] },
  // Parameter Store's higher throughput quota: openssm does not throttle, so either value is honoured.
  { id: "/ssm/parameter-store/high-throughput-enabled", defaultValue: "false", allowed: ["true", "false"] },
];

export const DEFAULT_PARAMETER_TIER = "/ssm/parameter-store/default-parameter-tier";
