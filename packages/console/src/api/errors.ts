/** A failed API call as the console shows it: AWS's error name (`__type`) and message. */
export class ApiCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export interface ErrorFacts {
  code: string;
  message: string;
  /** For an AccessDeniedException: the action and resource the message names. */
  denied?: { action?: string; resource?: string; principal?: string };
}

/** The name and message of anything thrown by an SDK command, api.json or api.get. */
export function errorFacts(e: unknown): ErrorFacts {
  const err = e as { name?: string; code?: string; message?: string; __type?: string };
  const code = (e instanceof ApiCallError ? e.code : err?.name || err?.code || err?.__type) ?? "Error";
  const message = String(err?.message ?? e);
  if (code === "AccessDeniedException" || code === "AccessDenied" || /is not authorized to perform/.test(message)) {
    const m = /User: (\S+) is not authorized to perform: (\S+) on resource: (\S+)/.exec(message);
    return { code: "AccessDeniedException", message, denied: m ? { principal: m[1], action: m[2], resource: m[3] } : {} };
  }
  return { code, message };
}
