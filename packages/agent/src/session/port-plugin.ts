import { lookup } from "node:dns/promises";
import { isIP, type Socket, connect } from "node:net";
import { type DecodedAgentMessage, PayloadType, PayloadTypeFlag, compareVersions, SmuxSession, type SmuxStream } from "@openssm/protocol";
import { chunks, deferred, type PluginContext, type PluginResult, type SessionPlugin } from "./plugin.js";

/** The plugin multiplexes LocalPortForwarding from this client version on (amazon-ssm-agent's rule). */
const MUX_FROM_CLIENT_VERSION = "1.1.70";
/** Port bytes go out in messages of at most this size. */
const PAYLOAD_SIZE = 8 * 1024;
/** Addresses a session may never forward to (the instance metadata service), as the AWS agent refuses them. */
const DENIED = new Set(["169.254.169.254", "fd00:ec2::254"]);

function flag(payload: Buffer): number {
  return payload.length >= 4 ? payload.readUInt32BE(0) : -1;
}

function flagPayload(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value, 0);
  return b;
}

/**
 * Port: forwards to a TCP port on the node (or, with `host`, on a host the node reaches). With a
 * client that multiplexes (LocalPortForwarding), the data channel carries an smux session and every
 * smux stream is one TCP connection; otherwise (AWS-StartSSHSession, old clients) one connection at a
 * time, opened on the first bytes and closed on DisconnectToPort.
 */
export class PortPlugin implements SessionPlugin {
  private result = deferred<PluginResult>();
  readonly done = this.result.promise;
  private mux?: SmuxSession;
  private basic?: Socket;
  private basicConnecting?: Promise<Socket | undefined>;
  private addresses: string[] = [];
  private host = "";
  private port = 0;
  private multiplexed = false;
  private ready = false;

  constructor(private readonly ctx: PluginContext) {}

  async start(): Promise<void> {
    const p = this.ctx.properties;
    this.port = Number(p.portNumber);
    this.host = typeof p.host === "string" ? p.host.trim() : "";
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535) {
      return this.finish("Failed", `Port number is empty or not valid in session properties: ${String(p.portNumber)}`);
    }
    if (this.host) {
      try {
        this.addresses = isIP(this.host) ? [this.host] : (await lookup(this.host, { all: true })).map((a) => a.address);
      } catch (e) {
        return this.finish("Failed", `Unable to resolve ${this.host}: ${(e as Error).message}`);
      }
      const denied = this.addresses.find((a) => DENIED.has(a));
      if (denied) return this.finish("Failed", `Forwarding to IP address ${this.host} is forbidden.`);
    }
    this.multiplexed = p.type === "LocalPortForwarding" && compareVersions(this.ctx.clientVersion || "0", MUX_FROM_CLIENT_VERSION) >= 0;
    if (this.multiplexed) {
      this.mux = new SmuxSession({
        client: false,
        write: (bytes) => this.sendBytes(bytes),
        onStream: (stream) => this.accept(stream),
        onError: (err) => this.finish("Failed", err.message),
      });
    }
    this.ready = true;
  }

  private sendBytes(bytes: Buffer): void {
    for (const part of chunks(bytes, PAYLOAD_SIZE)) this.ctx.stream.sendData(PayloadType.Output, part);
  }

  /** Dials the destination: localhost, or each address of the remote host until one answers. */
  private async dial(): Promise<Socket> {
    const targets = this.host ? this.addresses : ["localhost"];
    let first: Error | undefined;
    for (const host of targets) {
      try {
        return await new Promise<Socket>((resolve, reject) => {
          const s = connect({ host, port: this.port });
          s.once("connect", () => {
            s.off("error", reject);
            resolve(s);
          });
          s.once("error", reject);
        });
      } catch (e) {
        first ??= e as Error;
      }
    }
    throw first ?? new Error("missing address");
  }

  private accept(stream: SmuxStream): void {
    this.dial().then(
      (socket) => {
        socket.setNoDelay(true);
        stream.pipe(socket);
        socket.pipe(stream);
        socket.on("error", () => stream.destroy());
        socket.on("close", () => stream.destroy());
        stream.on("error", () => socket.destroy());
        stream.on("close", () => socket.destroy());
      },
      (err) => {
        this.ctx.log.info({ err: (err as Error).message, port: this.port, host: this.host || "localhost" }, "could not connect to the forwarded port");
        this.ctx.stream.sendData(PayloadType.Flag, flagPayload(PayloadTypeFlag.ConnectToPortError));
        stream.destroy();
      },
    );
  }

  /** Basic mode: one connection, opened on the first bytes from the client. */
  private basicSocket(): Promise<Socket | undefined> {
    if (this.basic && !this.basic.destroyed) return Promise.resolve(this.basic);
    this.basicConnecting ??= this.dial().then(
      (socket) => {
        this.basic = socket;
        this.basicConnecting = undefined;
        socket.on("data", (d: Buffer) => this.sendBytes(d));
        socket.on("error", () => socket.destroy());
        socket.on("close", () => {
          if (this.basic === socket) this.basic = undefined;
          // Without LocalPortForwarding (SSH over the session) the session ends with the connection.
          if (this.ctx.properties.type !== "LocalPortForwarding") this.finish("Success", "");
        });
        return socket;
      },
      (err) => {
        this.basicConnecting = undefined;
        this.finish("Failed", `Unable to connect to specified port: ${(err as Error).message}`);
        return undefined;
      },
    );
    return this.basicConnecting;
  }

  input(msg: DecodedAgentMessage): boolean {
    if (!this.ready) return false;
    if (msg.payloadType === PayloadType.Flag) {
      const f = flag(msg.payload);
      if (f === PayloadTypeFlag.TerminateSession) this.finish("Success", "");
      else if (f === PayloadTypeFlag.DisconnectToPort) this.basic?.end();
      return true;
    }
    if (msg.payloadType !== PayloadType.Output) return true;
    if (this.mux) {
      this.mux.feed(msg.payload);
      return true;
    }
    const data = Buffer.from(msg.payload);
    void this.basicSocket().then((s) => s?.write(data));
    return true;
  }

  private finish(status: PluginResult["status"], output: string): void {
    this.mux?.close();
    this.basic?.destroy();
    this.result.resolve({ status, output });
  }

  stop(): void {
    this.finish("Cancelled", "");
  }
}
