/** Where AWS cuts output in API answers (the whole text stays available at StandardOutputUrl). */
export const STDOUT_API_LIMIT = 24_000;
export const STDERR_API_LIMIT = 8_000;
/** CommandPlugin.Output and TraceOutput. */
export const SUMMARY_LIMIT = 2_500;
/** AWS's agent sends at most this many bytes of a step's stdout or stderr, cut with a suffix; the rest would go to S3. */
export const AGENT_STREAM_BYTES = 24_000;
/** A streamed piece larger than this is refused (the agent sends smaller ones). */
export const MAX_PIECE_LENGTH = 100_000;
/** Output beyond this offset is not kept. */
export const MAX_STREAM_LENGTH = 64 * 1024 * 1024;

export interface OutputPiece {
  position: number;
  text: string;
}

/**
 * The text the pieces make, from offset 0 up to the first gap: pieces may overlap (an agent sent the
 * same range twice, or the whole text after streaming it) and arrive in any order.
 */
export function assembleOutput(pieces: OutputPiece[], limit = Number.POSITIVE_INFINITY): string {
  const sorted = [...pieces].sort((a, b) => a.position - b.position || b.text.length - a.text.length);
  let out = "";
  for (const p of sorted) {
    if (p.position > out.length) break;
    const end = p.position + p.text.length;
    if (end > out.length) out += p.text.slice(out.length - p.position);
    if (out.length >= limit) break;
  }
  return out.length > limit ? out.slice(0, limit) : out;
}

/** Cuts a summary where AWS does, saying so. */
export function truncateSummary(text: string, limit = SUMMARY_LIMIT): string {
  if (text.length <= limit) return text;
  const marker = "\n---Output truncated---";
  return text.slice(0, limit - marker.length) + marker;
}

/** CommandPlugin.Output when the agent sent no summary: stdout, then stderr under the agent's separator. */
export function composeSummary(stdout: string, stderr: string): string {
  const text = stderr ? `${stdout}${stdout && !stdout.endsWith("\n") ? "\n" : ""}----------ERROR-------\n${stderr}` : stdout;
  return truncateSummary(text);
}

/**
 * Whether a reply's stdout/stderr is only the start of the stream. Pieces with an offset (the openssm
 * streaming extension) add up to the whole; without one (AWS's agent) a text of 24,000 bytes or more
 * was cut by the agent (it keeps 24,000 bytes, the last ones "--output truncated--").
 */
export function cutByAgent(text: string, offset: number | undefined): boolean {
  return offset === undefined && Buffer.byteLength(text, "utf8") >= AGENT_STREAM_BYTES;
}
