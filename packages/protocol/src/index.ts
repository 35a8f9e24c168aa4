export * from "./agent-message.js";
export * from "./message-types.js";
export * from "./run-command-payloads.js";
export * from "./mgs-payloads.js";
export * from "./ec2messages.js";
export * from "./sigv4.js";
