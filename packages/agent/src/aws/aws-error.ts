/** An error answer of an AWS API: the error name (`__type`) and its message. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(`${code}: ${message}`);
    this.name = "AwsError";
  }

  /** The server's own message, without the error name. */
  get detail(): string {
    return this.message.slice(this.code.length + 2);
  }
}

/** Whether an error means the node's identity is no longer accepted (deregistered, revoked, expired). */
export function isAuthFailure(e: unknown): boolean {
  return (
    e instanceof AwsError &&
    (e.status === 403 ||
      [
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "InvalidInstanceId",
        "InvalidSignatureException",
        "IncompleteSignatureException",
      ].includes(e.code))
  );
}
