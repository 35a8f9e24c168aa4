// The parts of the protocol a browser can use (the console's terminal): the AgentMessage codec, the
// session's reliable stream and handshake. No node:stream, no signing keys. They use Buffer and
// node:crypto's sha256 / randomUUID, which the console's bundle provides (packages/console/src/shims/).
export * from "./agent-message.js";
export * from "./message-types.js";
export * from "./mgs-payloads.js";
export * from "./session/handshake.js";
export * from "./session/stream-channel.js";
export * from "./versions.js";
