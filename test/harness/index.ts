export * from "./server.js";
export * from "./clients.js";
export * from "./iam.js";
export * from "./postgres.js";
export * from "./webhook.js";
export * from "./stored.js";
