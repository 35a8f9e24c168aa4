import { type FromWorker, isMessage, type ToWorker } from "./messages.js";

/**
 * Entry point of an API worker process. It listens for its configuration first and only then says
 * it is ready (a message that arrives before anyone listens is lost), and loads the server's modules
 * once it has it.
 */
const send = (m: FromWorker, then?: () => void) => process.send?.(m, undefined, undefined, then);

process.once("message", (m) => {
  if (!isMessage<ToWorker>(m) || m.openssm !== "start") return;
  import("./api-worker.js")
    .then(({ runApiWorker }) => runApiWorker(m))
    .catch((err: Error) => send({ openssm: "failed", message: err.message }, () => process.exit(1)));
});
send({ openssm: "ready" });
