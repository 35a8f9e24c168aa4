/**
 * The part of Node's Buffer that @openssm/protocol's frame codec uses, over Uint8Array, for the
 * browser bundle (build.mjs hands it to the protocol's modules in place of the global Buffer).
 * Encodings: utf8, hex, base64, latin1.
 */
type Encoding = "utf8" | "utf-8" | "hex" | "base64" | "latin1";

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

export class Buffer extends Uint8Array {
  static alloc(size: number, fill = 0): Buffer {
    const b = new Buffer(size);
    if (fill) b.fill(fill);
    return b;
  }

  // Typed loosely so as to stay a subtype of Uint8Array.from; takes a string (with an encoding), an
  // ArrayBuffer, or bytes.
  static from(value: unknown, encoding?: unknown): Buffer {
    if (typeof value === "string") return Buffer.fromString(value, (encoding as Encoding | undefined) ?? "utf8");
    if (value instanceof ArrayBuffer) return new Buffer(value.slice(0));
    const bytes = value as ArrayLike<number>;
    const b = new Buffer(bytes.length);
    b.set(bytes);
    return b;
  }

  private static fromString(s: string, encoding: Encoding): Buffer {
    switch (encoding) {
      case "hex": {
        const b = new Buffer(Math.floor(s.length / 2));
        for (let i = 0; i < b.length; i++) b[i] = Number.parseInt(s.slice(i * 2, i * 2 + 2), 16);
        return b;
      }
      case "base64": {
        const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
        return Buffer.from(Array.from(bin, (c) => c.charCodeAt(0)));
      }
      case "latin1":
        return Buffer.from(Array.from(s, (c) => c.charCodeAt(0) & 0xff));
      default:
        return Buffer.from(new TextEncoder().encode(s));
    }
  }

  static isBuffer(value: unknown): value is Buffer {
    return value instanceof Buffer;
  }

  static concat(list: readonly Uint8Array[], total?: number): Buffer {
    const size = total ?? list.reduce((n, b) => n + b.length, 0);
    const out = new Buffer(size);
    let at = 0;
    for (const b of list) {
      if (at >= size) break;
      out.set(b.subarray(0, size - at), at);
      at += Math.min(b.length, size - at);
    }
    return out;
  }

  static byteLength(s: string): number {
    return new TextEncoder().encode(s).length;
  }

  override toString(encoding: Encoding = "utf8"): string {
    switch (encoding) {
      case "hex":
        return Array.from(this, (x) => x.toString(16).padStart(2, "0")).join("");
      case "base64":
        return btoa(Array.from(this, (x) => String.fromCharCode(x)).join(""));
      case "latin1":
        return Array.from(this, (x) => String.fromCharCode(x)).join("");
      default:
        return new TextDecoder().decode(this);
    }
  }

  equals(other: Uint8Array): boolean {
    if (other.length !== this.length) return false;
    for (let i = 0; i < this.length; i++) if (this[i] !== other[i]) return false;
    return true;
  }

  copy(target: Uint8Array, targetStart = 0, sourceStart = 0, sourceEnd = this.length): number {
    const part = this.subarray(sourceStart, Math.min(sourceEnd, sourceStart + target.length - targetStart));
    target.set(part, targetStart);
    return part.length;
  }

  readUInt8(at: number): number {
    return view(this).getUint8(at);
  }
  writeUInt8(v: number, at: number): number {
    view(this).setUint8(at, v);
    return at + 1;
  }
  readUInt32BE(at: number): number {
    return view(this).getUint32(at);
  }
  writeUInt32BE(v: number, at: number): number {
    view(this).setUint32(at, v);
    return at + 4;
  }
  readBigUInt64BE(at: number): bigint {
    return view(this).getBigUint64(at);
  }
  writeBigUInt64BE(v: bigint, at: number): number {
    view(this).setBigUint64(at, v);
    return at + 8;
  }
  readBigInt64BE(at: number): bigint {
    return view(this).getBigInt64(at);
  }
  writeBigInt64BE(v: bigint, at: number): number {
    view(this).setBigInt64(at, v);
    return at + 8;
  }
}
