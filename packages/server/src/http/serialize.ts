/** JSON 1.1 bodies: timestamps as epoch seconds, binary as base64. */
export function toJson(value: unknown): string {
  return JSON.stringify(toWire(value));
}

/**
 * The value with what JSON 1.1 writes differently replaced: a Date by its epoch seconds, bytes by their
 * base64 text (a Buffer already turned into `{ type: "Buffer", data }` too). Plain objects and arrays are
 * copied only when something below them changed. One walk in JavaScript costs a fraction of a
 * JSON.stringify replacer, which the engine calls back for every key of every response.
 */
function toWire(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (v instanceof Date) return v.getTime() / 1000;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const w = toWire(v[i]);
      if (w !== v[i]) {
        out ??= v.slice();
        out[i] = w;
      }
    }
    return out ?? v;
  }
  const o = v as Record<string, unknown>;
  if (o.type === "Buffer" && Array.isArray(o.data)) return Buffer.from(o.data as number[]).toString("base64");
  if (typeof o.toJSON === "function") return v;
  let out: Record<string, unknown> | undefined;
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    const w = toWire(o[k]);
    if (w !== o[k]) {
      out ??= { ...o };
      out[k] = w;
    }
  }
  return out ?? v;
}
