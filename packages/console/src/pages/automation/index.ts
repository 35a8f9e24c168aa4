import type { Area } from "../../app/routes";
import { ExecutionDetails } from "./ExecutionDetails";
import { ExecutionList } from "./ExecutionList";
import { StartExecution } from "./StartExecution";

/** Automation: executions, their steps as a graph, Approve / Reject at aws:approve, and starting a runbook. */
export const automationArea: Area = {
  section: "Change Management",
  links: [{ text: "Automation", href: "/automation" }],
  routes: [
    { path: "/automation", title: "Automation", component: ExecutionList },
    { path: "/automation/start", title: "Execute automation", component: StartExecution },
    { path: "/automation/:id", title: "Automation execution", component: ExecutionDetails },
  ],
};
