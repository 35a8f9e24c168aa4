import { type Area, lazyPage } from "../../app/routes";

// Each page is a chunk of its own, loaded when it is first shown.
const AssociationDetails = lazyPage(
  () => import("./Associations"),
  (m) => m.AssociationDetails,
);
const AssociationList = lazyPage(
  () => import("./Associations"),
  (m) => m.AssociationList,
);
const CalendarDetails = lazyPage(
  () => import("./ChangeCalendar"),
  (m) => m.CalendarDetails,
);
const CalendarList = lazyPage(
  () => import("./ChangeCalendar"),
  (m) => m.CalendarList,
);
const WindowDetails = lazyPage(
  () => import("./MaintenanceWindows"),
  (m) => m.WindowDetails,
);
const WindowList = lazyPage(
  () => import("./MaintenanceWindows"),
  (m) => m.WindowList,
);

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
