import { type Area, lazyPage } from "../../app/routes";

// Each page is a chunk of its own, loaded when it is first shown.
const Compliance = lazyPage(
  () => import("./Compliance"),
  (m) => m.Compliance,
);
const Inventory = lazyPage(
  () => import("./Inventory"),
  (m) => m.Inventory,
);
const OpsItemDetails = lazyPage(
  () => import("./OpsItems"),
  (m) => m.OpsItemDetails,
);
const OpsItemList = lazyPage(
  () => import("./OpsItems"),
  (m) => m.OpsItemList,
);

/** Operations Management: OpsCenter's OpsItems, the compliance dashboard and inventory. */
export const operationsArea: Area = {
  section: "Operations Management",
  links: [
    { text: "OpsCenter", href: "/ops-items" },
    { text: "Compliance", href: "/compliance" },
    { text: "Inventory", href: "/inventory" },
  ],
  routes: [
    { path: "/ops-items", title: "OpsCenter", component: OpsItemList },
    { path: "/ops-items/:id", title: "OpsItem", component: OpsItemDetails },
    { path: "/compliance", title: "Compliance", component: Compliance },
    { path: "/inventory", title: "Inventory", component: Inventory },
  ],
};
