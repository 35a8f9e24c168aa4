import { agentChannelsCapability } from "../agents/index.js";
import type { Capability } from "../runtime.js";
import { adminCapability } from "./admin/index.js";
import { accessRequestsCapability } from "./access-requests/index.js";
import { associationsCapability } from "./associations/index.js";
import { automationCapability } from "./automation/index.js";
import { calendarCapability } from "./calendar/index.js";
import { changeManagerCapability } from "./change-manager/index.js";
import { commandsCapability } from "./commands/index.js";
import { complianceCapability } from "./compliance/index.js";
import { documentsCapability } from "./documents/index.js";
import { inventoryCapability } from "./inventory/index.js";
import { kmsCapability } from "./kms/index.js";
import { maintenanceWindowsCapability } from "./maintenance-windows/index.js";
import { nodesCapability } from "./nodes/index.js";
import { opsCenterCapability } from "./ops-center/index.js";
import { parametersCapability } from "./parameters/index.js";
import { sessionsCapability } from "./sessions/index.js";
import { settingsCapability } from "./settings/index.js";
import { tagsCapability } from "./tags/index.js";

/** Every capability the server runs. A capability adds itself here with one line. */
export const capabilities: Capability[] = [
  tagsCapability,
  documentsCapability,
  kmsCapability,
  nodesCapability,
  agentChannelsCapability,
  commandsCapability,
  parametersCapability,
  sessionsCapability,
  settingsCapability,
  inventoryCapability,
  complianceCapability,
  associationsCapability,
  calendarCapability,
  automationCapability,
  maintenanceWindowsCapability,
  opsCenterCapability,
  changeManagerCapability,
  accessRequestsCapability,
  adminCapability,
];
