/**
 * For the fleet simulator: runs scripts made only of `echo`, `true`, `false`, `:` and `exit N`
 * lines without starting a shell, so a thousand simulated nodes can run `echo` cheaply. Anything
 * else (variables, pipes, quoting beyond plain quotes) is not handled here and runs in a real shell.
 */
export interface InlineResult {
  stdout: string;
  exitCode: number;
}

const PLAIN = /^[^$`|;&<>*?(){}[\]\\~#!]*$/;

function unquote(args: string): string | undefined {
  const words: string[] = [];
  const re = /\s*(?:"([^"]*)"|'([^']*)'|(\S+))/g;
  let m: RegExpExecArray | null;
  let rest = args;
  while ((m = re.exec(args))) {
    const w = m[1] ?? m[2] ?? m[3];
    if (m[3] !== undefined && /["']/.test(m[3])) return undefined;
    words.push(w);
    rest = args.slice(re.lastIndex);
    if (re.lastIndex >= args.length) break;
  }
  if (rest.trim()) return undefined;
  return words.join(" ");
}

export function runInline(lines: string[]): InlineResult | undefined {
  let stdout = "";
  for (const raw of lines.flatMap((l) => l.split("\n"))) {
    const line = raw.trim();
    if (line === "" || line === ":" || line === "true") continue;
    if (!PLAIN.test(line)) return undefined;
    if (line === "false") return { stdout, exitCode: 1 };
    const exit = /^exit(?:\s+(\d+))?$/.exec(line);
    if (exit) return { stdout, exitCode: Number(exit[1] ?? 0) };
    const echo = /^echo(?:\s+(.*))?$/.exec(line);
    if (!echo) return undefined;
    const text = echo[1] === undefined ? "" : unquote(echo[1]);
    if (text === undefined || text.startsWith("-")) return undefined;
    stdout += `${text}\n`;
  }
  return { stdout, exitCode: 0 };
}
