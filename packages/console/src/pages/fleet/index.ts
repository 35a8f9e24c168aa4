import { type Area, lazyPage } from "../../app/routes";

// Each page is a chunk of its own, loaded when it is first shown.
const NodeDetails = lazyPage(
  () => import("./NodeDetails"),
  (m) => m.NodeDetails,
);
const NodeList = lazyPage(
  () => import("./NodeList"),
  (m) => m.NodeList,
);
const NodeTerminal = lazyPage(
  () => import("./NodeTerminal"),
  (m) => m.NodeTerminal,
);

export const fleetArea: Area = {
  section: "Node Management",
  links: [{ text: "Fleet Manager", href: "/nodes" }],
  routes: [
    { path: "/nodes", title: "Fleet Manager", component: NodeList },
    { path: "/nodes/:id", title: "Managed node", component: NodeDetails },
    { path: "/nodes/:id/terminal", title: "Terminal", component: NodeTerminal },
  ],
};
