import type { Area } from "../../app/routes";
import { Compliance } from "./Compliance";
import { Inventory } from "./Inventory";
import { OpsItemDetails, OpsItemList } from "./OpsItems";

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
