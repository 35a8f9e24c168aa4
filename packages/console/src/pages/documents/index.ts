import { type Area, lazyPage } from "../../app/routes";

// Each page is a chunk of its own, loaded when it is first shown.
const DocumentDetails = lazyPage(
  () => import("./DocumentDetails"),
  (m) => m.DocumentDetails,
);
const DocumentForm = lazyPage(
  () => import("./DocumentForm"),
  (m) => m.DocumentForm,
);
const DocumentList = lazyPage(
  () => import("./DocumentList"),
  (m) => m.DocumentList,
);

export const documentsArea: Area = {
  section: "Application Management",
  links: [{ text: "Documents", href: "/documents" }],
  routes: [
    { path: "/documents", title: "Documents", component: DocumentList },
    { path: "/documents/create", title: "Create document", component: DocumentForm },
    { path: "/documents/:name", title: "Document", component: DocumentDetails },
  ],
};
