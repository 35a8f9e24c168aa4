import type { Area } from "../../app/routes";
import { Home } from "./Home";

export const homeArea: Area = {
  section: "Node Management",
  links: [],
  routes: [{ path: "/", title: "Systems Manager", component: Home }],
};
