import type { Area } from "../../app/routes";
import { CommandDetails } from "./CommandDetails";
import { CommandHistory } from "./CommandHistory";
import { RunCommand } from "./RunCommand";

export const runCommandArea: Area = {
  section: "Node Management",
  links: [{ text: "Run Command", href: "/run-command" }],
  routes: [
    { path: "/run-command", title: "Run Command", component: CommandHistory },
    { path: "/run-command/run", title: "Run a command", component: RunCommand },
    { path: "/run-command/:id", title: "Command", component: CommandDetails },
  ],
};
