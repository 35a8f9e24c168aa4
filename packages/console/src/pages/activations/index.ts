import type { Area } from "../../app/routes";
import { Activations } from "./Activations";

/** Hybrid activations (Create / Describe / DeleteActivation). */
export const activationsArea: Area = {
  section: "Node Management",
  links: [{ text: "Hybrid activations", href: "/activations" }],
  routes: [{ path: "/activations", title: "Hybrid activations", component: Activations }],
};
