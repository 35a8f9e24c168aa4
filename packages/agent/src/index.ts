/** @openssm/agent: the agent's modules, for the fleet simulator, tests and benchmarks. */
export { Agent, type AgentOptions, type TransportMode } from "./agent.js";
export { HttpTransport } from "./aws/http-transport.js";
export { Fleet, type FleetOptions, type SimulatedNode } from "./simulator/fleet.js";
export { IdentityStore, type NodeIdentity, defaultDataDir } from "./identity/identity-store.js";
export { registerNode } from "./identity/register.js";
export { platformInfo, type PlatformInfo } from "./health/platform-info.js";
export { AGENT_NAME, AGENT_VERSION } from "./version.js";
