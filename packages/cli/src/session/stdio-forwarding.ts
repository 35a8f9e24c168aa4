import { type DecodedAgentMessage, PayloadType, PayloadTypeFlag } from "@openssm/protocol";
import type { ClientChannel } from "./client-channel.js";

/**
 * A Port session without LocalPortForwarding (AWS-StartSSHSession, as ssh's ProxyCommand): stdin's
 * bytes go to the node's port, the port's bytes come out on stdout. When stdin ends the session ends.
 */
export class StdioForwarding {
  constructor(
    private readonly channel: ClientChannel,
    readonly properties: Record<string, unknown>,
  ) {}

  start(): void {
    process.stdin.on("data", (d: Buffer) => this.channel.stream.sendData(PayloadType.Output, d));
    process.stdin.once("end", () => {
      const flag = Buffer.alloc(4);
      flag.writeUInt32BE(PayloadTypeFlag.TerminateSession, 0);
      this.channel.stream.sendData(PayloadType.Flag, flag);
    });
    process.stdin.resume();
  }

  output(msg: DecodedAgentMessage): boolean {
    if (msg.payloadType === PayloadType.Output) process.stdout.write(msg.payload);
    return true;
  }
}
