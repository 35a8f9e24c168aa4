/** An error the openssm command reports as one line on stderr, with its exit code (1: failed, 2: usage). */
export class CliError extends Error {
  constructor(
    message: string,
    public readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

/** The caller asked for something malformed (a bad flag value, an invalid policy): exit code 2. */
export const usageError = (message: string) => new CliError(message, 2);

/** Prints a result as the AWS CLI does: indented JSON on stdout. Nothing for commands with no output. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 4)}\n`);
}
