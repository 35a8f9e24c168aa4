import { createServer, type Server, type Socket } from "node:net";
import { type DecodedAgentMessage, PayloadType, PayloadTypeFlag, compareVersions, SmuxSession } from "@openssm/protocol";
import { apiError, type SessionApi } from "./api.js";
import { ClientChannel } from "./client-channel.js";

export interface PortForwardRequest {
  target: string;
  remotePort: number;
  localPort: number;
  remoteHost?: string;
  reason?: string;
}

/** The plugin multiplexes connections with agents newer than this (session-manager-plugin's rule). */
const MUX_AFTER_AGENT_VERSION = "3.0.196.0";
const PAYLOAD_SIZE = 8 * 1024;

function flagPayload(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value, 0);
  return b;
}

/**
 * `openssm session port-forward`: a local port whose connections reach a port on the node (or a host
 * it reaches) through the session. With agents that multiplex, every local connection is an smux
 * stream and any number run at once; with older agents, one connection at a time.
 */
export async function runPortForward(api: SessionApi, req: PortForwardRequest, print: (line: string) => void): Promise<number> {
  const parameters: Record<string, string[]> = { portNumber: [String(req.remotePort)], localPortNumber: [String(req.localPort)] };
  if (req.remoteHost) parameters.host = [req.remoteHost];
  let started: Awaited<ReturnType<SessionApi["start"]>>;
  try {
    started = await api.start({
      Target: req.target,
      DocumentName: req.remoteHost ? "AWS-StartPortForwardingSessionToRemoteHost" : "AWS-StartPortForwardingSession",
      Parameters: parameters,
      Reason: req.reason,
    });
  } catch (e) {
    throw apiError("StartSession", e);
  }
  const sessionId = started.SessionId;
  let server: Server | undefined;
  let mux: SmuxSession | undefined;
  let basic: Socket | undefined;
  const waiting: Socket[] = [];
  /** The session cannot go on (lost, or the data channel never opened): it is terminated before this returns. */
  let lost = false;
  let finish!: (code: number) => void;
  const done = new Promise<number>((r) => {
    finish = r;
  });

  const sendBytes = (bytes: Buffer) => {
    for (let at = 0; at < bytes.length; at += PAYLOAD_SIZE) channel.stream.sendData(PayloadType.Output, bytes.subarray(at, at + PAYLOAD_SIZE));
  };

  /** One connection at a time (agents without multiplexing): the next waits until the current closes. */
  const useBasic = (socket: Socket) => {
    if (basic) {
      waiting.push(socket);
      return;
    }
    basic = socket;
    socket.on("data", (d: Buffer) => sendBytes(d));
    socket.on("error", () => socket.destroy());
    socket.once("close", () => {
      basic = undefined;
      channel.stream.sendData(PayloadType.Flag, flagPayload(PayloadTypeFlag.DisconnectToPort));
      const next = waiting.shift();
      if (next) useBasic(next);
    });
  };

  const listen = async (multiplex: boolean) => {
    if (multiplex) mux = new SmuxSession({ client: true, write: sendBytes });
    server = createServer((socket) => {
      socket.setNoDelay(true);
      if (!mux) return useBasic(socket);
      const stream = mux.openStream();
      socket.pipe(stream);
      stream.pipe(socket);
      socket.on("error", () => stream.destroy());
      socket.on("close", () => stream.destroy());
      stream.on("error", () => socket.destroy());
      stream.on("close", () => socket.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server?.once("error", reject);
      server?.listen(req.localPort, "127.0.0.1", () => resolve());
    });
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : req.localPort;
    print(`Port ${port} opened for sessionId ${sessionId}.`);
    print("Waiting for connections...");
  };

  const channel = new ClientChannel({
    sessionId,
    streamUrl: started.StreamUrl,
    tokenValue: started.TokenValue,
    ca: api.ca,
    resume: () => api.resume(sessionId),
    onSessionType: (type, properties) => {
      if (type !== "Port") {
        print(`The session is a ${type} session, not a port forwarding session.`);
        finish(1);
        return;
      }
      const multiplex = properties.type === "LocalPortForwarding" && compareVersions(channel.agentVersion || "0", MUX_AFTER_AGENT_VERSION) > 0;
      listen(multiplex).catch((e) => {
        print(`Cannot listen on local port ${req.localPort}: ${(e as Error).message}`);
        finish(1);
      });
    },
    onOutput: (msg: DecodedAgentMessage) => {
      if (msg.payloadType === PayloadType.Flag) {
        if (msg.payload.length >= 4 && msg.payload.readUInt32BE(0) === PayloadTypeFlag.ConnectToPortError) {
          print("Connection to destination port failed, check SSM Agent logs.");
        }
        return true;
      }
      if (msg.payloadType !== PayloadType.Output) return true;
      if (mux) mux.feed(msg.payload);
      else if (basic) basic.write(msg.payload);
      else if (!server) return false;
      return true;
    },
    onClosed: (output) => {
      print(output ? `SessionId: ${sessionId} : ${output}` : `Exiting session with sessionId: ${sessionId}.`);
      finish(0);
    },
    onLost: (reason) => {
      print(`The connection to session ${sessionId} was lost: ${reason}`);
      lost = true;
      finish(1);
    },
  });

  print(`Starting session with SessionId: ${sessionId}`);
  const onSignal = () => {
    print("Terminate signal received, exiting.");
    // Before the agent's handshake there is no one to send TerminateSession to through the stream.
    if (!server) lost = true;
    channel.stream.sendData(PayloadType.Flag, flagPayload(PayloadTypeFlag.TerminateSession));
    void channel.stream.drained(2_000).then(() => finish(0));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    try {
      await Promise.race([channel.open(), done]);
    } catch (e) {
      lost = true;
      throw apiError("OpenDataChannel", e);
    }
    return await done;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    mux?.close();
    basic?.destroy();
    for (const s of waiting) s.destroy();
    server?.close();
    await channel.close(lost ? 0 : 500);
    // The session exists on the server; one this client cannot carry on is ended, not left to time out.
    if (lost) await api.abandon(sessionId);
  }
}
