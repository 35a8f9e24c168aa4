import { AGENT_NAME, AGENT_VERSION } from "../version.js";
import type { PlatformInfo } from "./platform-info.js";

/** The UpdateInstanceInformation request the agent sends at start and then periodically. */
export function instanceInformation(instanceId: string, platform: PlatformInfo, channel: "ssmmessages" | "ec2messages"): Record<string, string> {
  return {
    InstanceId: instanceId,
    AgentName: AGENT_NAME,
    AgentVersion: AGENT_VERSION,
    AgentStatus: "Active",
    ComputerName: platform.ComputerName,
    IPAddress: platform.IPAddress,
    PlatformName: platform.PlatformName,
    PlatformType: platform.PlatformType,
    PlatformVersion: platform.PlatformVersion,
    SSMConnectionChannel: channel,
  };
}
