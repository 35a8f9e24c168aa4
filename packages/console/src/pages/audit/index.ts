import { type Area, lazyPage } from "../../app/routes";

// Each page is a chunk of its own, loaded when it is first shown.
const AuditTrail = lazyPage(
  () => import("./AuditTrail"),
  (m) => m.AuditTrail,
);
const EventLog = lazyPage(
  () => import("./EventLog"),
  (m) => m.EventLog,
);

/** The audit trail (OpenSSM.LookupAuditEvents) and the event log (OpenSSM.ListEvents). */
export const auditArea: Area = {
  section: "Administration",
  links: [
    { text: "Audit trail", href: "/audit" },
    { text: "Events", href: "/events" },
  ],
  routes: [
    { path: "/audit", title: "Audit trail", component: AuditTrail },
    { path: "/events", title: "Events", component: EventLog },
  ],
};
