import type { Area } from "../../app/routes";
import { SessionDetails } from "./SessionDetails";
import { SessionList } from "./SessionList";

export const sessionsArea: Area = {
  section: "Node Management",
  links: [{ text: "Session Manager", href: "/sessions" }],
  routes: [
    { path: "/sessions", title: "Session Manager", component: SessionList },
    { path: "/sessions/:id", title: "Session", component: SessionDetails },
  ],
};
