import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** An EventBridge-shaped event as openssm posts it to a webhook. */
export interface ReceivedEvent {
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  region: string;
  time: string;
  resources: string[];
  detail: Record<string, any>;
}

/** A local HTTP server that collects the events openssm posts to it into `events` (start the server with `--webhook url`). */
export async function webhookReceiver<E = ReceivedEvent>(events: E[] = []): Promise<{ url: string; events: E[]; close(): Promise<void> }> {
  const hook = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      events.push(JSON.parse(body) as E);
      res.end("ok");
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/`,
    events,
    close: () => new Promise<void>((r) => hook.close(() => r())),
  };
}
