export * from "./agent-message.js";
export * from "./message-types.js";
export * from "./run-command-payloads.js";
export * from "./mgs-payloads.js";
export * from "./ec2messages.js";
export * from "./sigv4.js";
// The session data channel, shared by the agent (its end), the openssm CLI (the client's end) and tests.
export * from "./session/handshake.js";
export * from "./versions.js";
export * from "./session/smux.js";
export * from "./session/stream-channel.js";
