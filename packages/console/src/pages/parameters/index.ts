import type { Area } from "../../app/routes";
import { ParameterDetails } from "./ParameterDetails";
import { ParameterForm } from "./ParameterForm";
import { ParameterList } from "./ParameterList";

export const parametersArea: Area = {
  section: "Application Management",
  links: [{ text: "Parameter Store", href: "/parameters" }],
  routes: [
    { path: "/parameters", title: "Parameter Store", component: ParameterList },
    { path: "/parameters/create", title: "Create parameter", component: ParameterForm },
    { path: "/parameters/edit", title: "Edit parameter", component: ParameterForm },
    { path: "/parameters/view", title: "Parameter", component: ParameterDetails },
  ],
};
