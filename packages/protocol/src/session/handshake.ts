/**
 * The session handshake (stream data PayloadTypes 5, 6 and 7), end to end between agent and client:
 * the agent asks for the session type (and, on AWS, KMS encryption), the client answers with its
 * version, the agent says the handshake is complete.
 */
export interface RequestedClientAction {
  ActionType: "SessionType" | "KMSEncryption" | string;
  ActionParameters: unknown;
}

export interface SessionTypeRequest {
  SessionType: string;
  Properties: unknown;
}

export interface HandshakeRequestPayload {
  AgentVersion: string;
  RequestedClientActions: RequestedClientAction[];
}

/** ActionStatus: 1 Success, 2 Failed, 3 Unsupported */
export interface ProcessedClientAction {
  ActionType: string;
  ActionStatus: 1 | 2 | 3;
  ActionResult?: unknown;
  Error: string;
}

export interface HandshakeResponsePayload {
  ClientVersion: string;
  ProcessedClientActions: ProcessedClientAction[];
  Errors: string[] | null;
}

export interface HandshakeCompletePayload {
  /** nanoseconds (a Go time.Duration) */
  HandshakeTimeToComplete: number;
  CustomerMessage: string;
}

/**
 * The amazon-ssm-agent version whose session protocol openssm-agent speaks, announced in the
 * handshake: the plugin uses smux multiplexing for port forwarding after 3.0.196.0, without smux
 * keepalives after 3.1.1511.0.
 */
export const SESSION_AGENT_PROTOCOL_VERSION = "3.3.987.0";

/**
 * The session-manager-plugin version whose protocol the openssm client speaks, sent in the handshake
 * response: the agent multiplexes port forwarding for clients from 1.1.70, without smux keepalives
 * after 1.2.331.0.
 */
export const SESSION_CLIENT_PROTOCOL_VERSION = "1.2.677.0";
