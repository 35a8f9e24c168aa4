import { kmsModel, openssmModel, type ServiceModel, ssmModel, validateInput } from "@openssm/model";
import { sha256Hex } from "@openssm/protocol";
import { parentPort } from "node:worker_threads";
import { ApiError } from "../errors.js";
import type { BodyJob, BodyResult } from "./body-threads.js";
import { mayHoldNul, parseBody } from "./json-body.js";

/**
 * A body thread (see body-threads.ts): hashes, parses and validates a large request body as the
 * dispatcher would, then runs the operation's preparation on it, off the server's event loop.
 */
const models: Record<BodyJob["model"], ServiceModel> = { ssm: ssmModel, kms: kmsModel, openssm: openssmModel };
const preparers = new Map<string, Promise<(input: unknown) => unknown>>();

function preparer(module: string, name: string): Promise<(input: unknown) => unknown> {
  const key = `${module}#${name}`;
  let p = preparers.get(key);
  if (!p) {
    p = import(module).then((m) => {
      if (typeof m[name] !== "function") throw new Error(`${module} exports no function ${name}`);
      return m[name] as (input: unknown) => unknown;
    });
    preparers.set(key, p);
  }
  return p;
}

async function run(job: BodyJob): Promise<BodyResult> {
  const body = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
  const sha256 = sha256Hex(body);
  try {
    const input = parseBody(body);
    const v = validateInput(models[job.model], job.operation, input, { noNul: !mayHoldNul(body) });
    if (!v.ok) return { id: job.id, sha256, refused: { code: v.error, message: v.message } };
    return { id: job.id, sha256, input: (await preparer(job.module, job.export))(input) };
  } catch (e) {
    if (e instanceof ApiError) return { id: job.id, sha256, refused: { code: e.code, message: e.message, status: e.status, fields: e.fields } };
    return { id: job.id, sha256, failed: (e as Error).stack ?? String(e) };
  }
}

parentPort?.on("message", (job: BodyJob) => {
  run(job).then((r) => parentPort?.postMessage(r));
});
