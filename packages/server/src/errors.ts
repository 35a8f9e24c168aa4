/** An error a caller can cause (or, with status 500, our own fault), named as the AWS model names it. */
export class ApiError extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly status = 400,
    /** Extra members of the error shape (for example `ReasonCode`). */
    public readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const validation = (message: string) => new ApiError("ValidationException", message);

/**
 * A failure from storage that the caller's value caused, as the ApiError to answer: PostgreSQL
 * refuses U+0000 in text ("invalid byte sequence for encoding UTF8: 0x00"). Undefined: our fault.
 */
export function callerFaultOf(e: unknown): ApiError | undefined {
  if ((e as { code?: string } | null)?.code === "22021") {
    return new ApiError("ValidationException", "A value in the request contains the NUL character (U+0000), which openssm cannot store: remove it.");
  }
  return undefined;
}
