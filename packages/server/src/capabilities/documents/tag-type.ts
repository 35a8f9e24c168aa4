export const TAG_TYPE = "Document";
