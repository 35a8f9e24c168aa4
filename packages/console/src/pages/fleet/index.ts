import type { Area } from "../../app/routes";
import { NodeDetails } from "./NodeDetails";
import { NodeList } from "./NodeList";
import { NodeTerminal } from "./NodeTerminal";

export const fleetArea: Area = {
  section: "Node Management",
  links: [{ text: "Fleet Manager", href: "/nodes" }],
  routes: [
    { path: "/nodes", title: "Fleet Manager", component: NodeList },
    { path: "/nodes/:id", title: "Managed node", component: NodeDetails },
    { path: "/nodes/:id/terminal", title: "Terminal", component: NodeTerminal },
  ],
};
