import { type Area, lazyPage } from "../../app/routes";

// Each page is a chunk of its own, loaded when it is first shown.
const ParameterDetails = lazyPage(
  () => import("./ParameterDetails"),
  (m) => m.ParameterDetails,
);
const ParameterForm = lazyPage(
  () => import("./ParameterForm"),
  (m) => m.ParameterForm,
);
const ParameterList = lazyPage(
  () => import("./ParameterList"),
  (m) => m.ParameterList,
);

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
