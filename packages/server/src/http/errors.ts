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
export const accessDenied = (message: string) => new ApiError("AccessDeniedException", message);
