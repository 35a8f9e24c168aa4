import { type Area, lazyPage } from "../../app/routes";

// Each page is a chunk of its own, loaded when it is first shown.
const Activations = lazyPage(
  () => import("./Activations"),
  (m) => m.Activations,
);

/** Hybrid activations (Create / Describe / DeleteActivation). */
export const activationsArea: Area = {
  section: "Node Management",
  links: [{ text: "Hybrid activations", href: "/activations" }],
  routes: [{ path: "/activations", title: "Hybrid activations", component: Activations }],
};
