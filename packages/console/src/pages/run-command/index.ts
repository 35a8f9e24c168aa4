import { type Area, lazyPage } from "../../app/routes";

// Each page is a chunk of its own, loaded when it is first shown.
const CommandDetails = lazyPage(
  () => import("./CommandDetails"),
  (m) => m.CommandDetails,
);
const CommandHistory = lazyPage(
  () => import("./CommandHistory"),
  (m) => m.CommandHistory,
);
const RunCommand = lazyPage(
  () => import("./RunCommand"),
  (m) => m.RunCommand,
);

export const runCommandArea: Area = {
  section: "Node Management",
  links: [{ text: "Run Command", href: "/run-command" }],
  routes: [
    { path: "/run-command", title: "Run Command", component: CommandHistory },
    { path: "/run-command/run", title: "Run a command", component: RunCommand },
    { path: "/run-command/:id", title: "Command", component: CommandDetails },
  ],
};
