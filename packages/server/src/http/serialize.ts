/** JSON 1.1 bodies: timestamps as epoch seconds, binary as base64. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const original = this[key];
    if (original instanceof Date) return original.getTime() / 1000;
    if (original instanceof Uint8Array) return Buffer.from(original).toString("base64");
    if (v && typeof v === "object" && (v as { type?: string }).type === "Buffer" && Array.isArray((v as { data?: unknown }).data)) {
      return Buffer.from((v as { data: number[] }).data).toString("base64");
    }
    return v;
  });
}
