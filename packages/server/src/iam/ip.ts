/** IPv4 and IPv6 addresses and CIDR blocks, for the IpAddress / NotIpAddress condition operators. */
export interface IpAddress {
  version: 4 | 6;
  value: bigint;
}

function parseV4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

function parseV6(text: string): bigint | null {
  let head = text;
  let tail4: bigint | null = null;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    tail4 = parseV4(text.slice(lastColon + 1));
    if (tail4 === null) return null;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  const fill = 8 - left.length - right.length;
  if (halves.length === 1 ? left.length !== 8 : fill < 1) return null;
  const all = [...left, ...Array(halves.length === 2 ? fill : 0).fill("0"), ...right];
  let n = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    n = (n << 16n) | BigInt(Number.parseInt(g, 16));
  }
  if (tail4 !== null) n = (n & ~0xffffffffn) | tail4;
  return n;
}

/** Parses an address; an IPv4-mapped IPv6 address (::ffff:10.0.0.1) is read as the IPv4 address it carries. */
export function parseIp(text: string): IpAddress | null {
  const t = text.trim();
  if (!t.includes(":")) {
    const v = parseV4(t);
    return v === null ? null : { version: 4, value: v };
  }
  const v = parseV6(t.replace(/^\[|\]$/g, "").replace(/%.*$/, ""));
  if (v === null) return null;
  if (v >> 32n === 0xffffn) return { version: 4, value: v & 0xffffffffn };
  return { version: 6, value: v };
}

/** A CIDR block (10.0.0.0/8, 2001:db8::/32) or a single address; null when malformed. */
export function parseCidr(text: string): { base: IpAddress; bits: number } | null {
  const [addr, bitsText, extra] = text.trim().split("/");
  if (extra !== undefined) return null;
  const base = parseIp(addr);
  if (!base) return null;
  const width = base.version === 4 ? 32 : 128;
  if (bitsText === undefined) return { base, bits: width };
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > width) return null;
  return { base, bits: Number(bitsText) };
}

export function ipInCidr(ip: string, cidr: string): boolean {
  const a = parseIp(ip);
  const block = parseCidr(cidr);
  if (!a || !block || a.version !== block.base.version) return false;
  const width = BigInt(a.version === 4 ? 32 : 128);
  const shift = width - BigInt(block.bits);
  return a.value >> shift === block.base.value >> shift;
}
