import type { DecodedAgentMessage } from "@openssm/protocol";

/**
 * Puts one direction's stream data messages (output_stream_data or input_stream_data) back in
 * sequence order and drops the resends, so each message is seen exactly once, in order — the
 * recording's view of a stream that both ends number from 0 and resend until acknowledged.
 */
export class StreamOrder {
  private next = 0;
  private waiting = new Map<number, DecodedAgentMessage>();

  /**
   * `resume`: the relay took over a session that ran before (a server restart), so the stream does
   * not start at 0 here: it starts at the first message seen.
   */
  constructor(
    private resume = false,
    private readonly limit = 10_000,
  ) {}

  /** Feeds one message; calls `deliver` for it and every buffered message that is now in order. */
  accept(msg: DecodedAgentMessage, deliver: (m: DecodedAgentMessage) => void): void {
    const seq = msg.sequenceNumber;
    if (this.resume) {
      this.resume = false;
      this.next = seq;
    }
    if (seq < this.next || this.waiting.has(seq)) return;
    if (seq > this.next) {
      if (this.waiting.size < this.limit) this.waiting.set(seq, msg);
      return;
    }
    deliver(msg);
    this.next++;
    for (let m = this.waiting.get(this.next); m; m = this.waiting.get(this.next)) {
      this.waiting.delete(this.next);
      deliver(m);
      this.next++;
    }
  }
}
