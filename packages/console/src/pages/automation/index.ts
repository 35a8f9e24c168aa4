import { type Area, lazyPage } from "../../app/routes";

// Each page is a chunk of its own, loaded when it is first shown.
const ExecutionDetails = lazyPage(
  () => import("./ExecutionDetails"),
  (m) => m.ExecutionDetails,
);
const ExecutionList = lazyPage(
  () => import("./ExecutionList"),
  (m) => m.ExecutionList,
);
const StartExecution = lazyPage(
  () => import("./StartExecution"),
  (m) => m.StartExecution,
);

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
