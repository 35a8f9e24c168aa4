import { targetOf } from "../http/dispatch.js";
import type { Capability } from "../runtime.js";

/**
 * The calls an API worker answers itself: the operations declared `readOnly` (reads that need nothing
 * but storage: no node channels, session relays, scheduler or event subscribers, which live in the
 * main process). Every other call is passed to the main process, so the API behaves the same
 * whichever process a connection reaches.
 */
export function localOperations(capabilities: Capability[]): ReadonlySet<string> {
  return new Set(capabilities.flatMap((c) => (c.operations ?? []).filter((o) => o.readOnly).map((o) => targetOf(o))));
}
