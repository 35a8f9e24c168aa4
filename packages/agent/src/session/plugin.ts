import type { DecodedAgentMessage } from "@openssm/protocol";
import type { Logger } from "../log.js";
import type { StreamChannel } from "@openssm/protocol";

/** How a session plugin ended (FinalTaskStatus of agent_task_complete, and its Output). */
export interface PluginResult {
  status: "Success" | "Failed" | "Cancelled";
  output: string;
}

/** What a session plugin gets: the stream to write to and the session's settings. */
export interface PluginContext {
  sessionId: string;
  stream: StreamChannel;
  log: Logger;
  /** The document's properties, parameters substituted (portNumber, commands, ...). */
  properties: Record<string, unknown>;
  /** The client's version from the handshake ("" without one). */
  clientVersion: string;
  runAsEnabled: boolean;
  runAsUser: string;
  shellProfile: string;
}

/** One running session type: Standard_Stream, InteractiveCommands, NonInteractiveCommands or Port. */
export interface SessionPlugin {
  /** Starts the work; `done` settles when it ends by itself. */
  start(): Promise<void>;
  readonly done: Promise<PluginResult>;
  /** Client stream data (keys, sizes, flags, port bytes); false when it cannot be taken yet. */
  input(msg: DecodedAgentMessage): boolean;
  /** Ends the work (the session was terminated). */
  stop(): void;
}

/** Splits bytes into stream messages of at most `size` bytes. */
export function* chunks(data: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

/** A deferred result. */
export function deferred<T>(): { promise: Promise<T>; resolve(v: T): void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
