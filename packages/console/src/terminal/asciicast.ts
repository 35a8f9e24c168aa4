/** An asciicast v2 recording: its header and events ([seconds, "o" | "i" | "r", data]). */
export interface Asciicast {
  width: number;
  height: number;
  events: { at: number; kind: string; data: string }[];
}

export function parseAsciicast(text: string): Asciicast {
  const lines = text.split("\n").filter((l) => l.trim());
  if (lines.length === 0) throw new Error("the recording is empty");
  const header = JSON.parse(lines[0]) as { version?: number; width?: number; height?: number };
  if (header.version !== 2) throw new Error(`not an asciicast v2 recording (version ${header.version})`);
  const events = lines.slice(1).map((l) => {
    const [at, kind, data] = JSON.parse(l) as [number, string, string];
    return { at, kind, data };
  });
  return { width: header.width ?? 80, height: header.height ?? 24, events };
}
