import { type Area, lazyPage } from "../../app/routes";

// Each page is a chunk of its own, loaded when it is first shown.
const SessionDetails = lazyPage(
  () => import("./SessionDetails"),
  (m) => m.SessionDetails,
);
const SessionList = lazyPage(
  () => import("./SessionList"),
  (m) => m.SessionList,
);

export const sessionsArea: Area = {
  section: "Node Management",
  links: [{ text: "Session Manager", href: "/sessions" }],
  routes: [
    { path: "/sessions", title: "Session Manager", component: SessionList },
    { path: "/sessions/:id", title: "Session", component: SessionDetails },
  ],
};
