/** The console location of a parameter's page (names have slashes, so they go in the query). */
export const parameterHref = (name: string, page: "view" | "edit" = "view") => `/parameters/${page}?name=${encodeURIComponent(name)}`;
