import type { Area } from "../../app/routes";
import { DocumentDetails } from "./DocumentDetails";
import { DocumentForm } from "./DocumentForm";
import { DocumentList } from "./DocumentList";

export const documentsArea: Area = {
  section: "Application Management",
  links: [{ text: "Documents", href: "/documents" }],
  routes: [
    { path: "/documents", title: "Documents", component: DocumentList },
    { path: "/documents/create", title: "Create document", component: DocumentForm },
    { path: "/documents/:name", title: "Document", component: DocumentDetails },
  ],
};
