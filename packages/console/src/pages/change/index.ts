import type { Area } from "../../app/routes";
import { AssociationDetails, AssociationList } from "./Associations";
import { CalendarDetails, CalendarList } from "./ChangeCalendar";
import { WindowDetails, WindowList } from "./MaintenanceWindows";

/** Change Management: State Manager associations, Maintenance Windows and Change Calendar. */
export const changeArea: Area = {
  section: "Change Management",
  links: [
    { text: "State Manager", href: "/state-manager" },
    { text: "Maintenance Windows", href: "/maintenance-windows" },
    { text: "Change Calendar", href: "/change-calendar" },
  ],
  routes: [
    { path: "/state-manager", title: "State Manager", component: AssociationList },
    { path: "/state-manager/:id", title: "Association", component: AssociationDetails },
    { path: "/maintenance-windows", title: "Maintenance Windows", component: WindowList },
    { path: "/maintenance-windows/:id", title: "Maintenance window", component: WindowDetails },
    { path: "/change-calendar", title: "Change Calendar", component: CalendarList },
    { path: "/change-calendar/:name", title: "Change calendar", component: CalendarDetails },
  ],
};
