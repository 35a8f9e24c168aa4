import type { Area } from "../../app/routes";
import { AuditTrail } from "./AuditTrail";
import { EventLog } from "./EventLog";

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
