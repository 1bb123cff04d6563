/** CIDR prefixes as bigints: parsing with precise errors, containment and aggregation. */
import { isIPv4, isIPv6 } from 'node:net';
import { ipv6Text } from '../lib/ipv6-text.js';
import { HostopsError } from '../lib/errors.js';

export interface Prefix {
  family: 4 | 6;
  /** Network address as an integer (host bits zero). */
  net: bigint;
  len: number;
  /** Canonical text, e.g. 198.18.10.0/24 or 2001:db8::/32. */
  text: string;
}

export class CidrError extends HostopsError {
  constructor(message: string) {
    super('BCP38_BAD_CIDR', message);
  }
}

function v4ToBig(a: string): bigint {
  return a.split('.').reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n);
}

function v6ToBig(a: string): bigint {
  let s = a;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = v4ToBig(v4[1]);
    s = s.slice(0, v4.index) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [h, t] = s.includes('::') ? s.split('::') : [s, undefined];
  const hs = h ? h.split(':') : [];
  const ts = t === undefined ? [] : t ? t.split(':') : [];
  const groups =
    t === undefined ? hs : [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function formatAddr(family: 4 | 6, n: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  return ipv6Text(g);
}

/** Parse "a.b.c.d/n", "x::/n" or a bare address (/32, /128). Host bits must be zero. */
export function parsePrefix(input: string): Prefix {
  if (typeof input !== 'string') throw new CidrError(`expected a CIDR string, got ${typeof input}`);
  const s = input.trim();
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const lenText = slash < 0 ? null : s.slice(slash + 1);
  const family: 4 | 6 | 0 = isIPv4(addr) ? 4 : isIPv6(addr) && !addr.includes('%') ? 6 : 0;
  if (family === 0) throw new CidrError(`'${s}' is not an IPv4 or IPv6 prefix`);
  const max = family === 4 ? 32 : 128;
  if (lenText !== null && !/^\d{1,3}$/.test(lenText))
    throw new CidrError(`'${s}': prefix length '${lenText}' is not a number`);
  const len = lenText === null ? max : Number(lenText);
  if (len > max) throw new CidrError(`'${s}': prefix length ${len} exceeds ${max}`);
  const n = family === 4 ? v4ToBig(addr) : v6ToBig(addr);
  const hostMask = (1n << BigInt(max - len)) - 1n;
  const net = n & ~hostMask;
  if ((n & hostMask) !== 0n) {
    throw new CidrError(
      `'${s}' has host bits set: the prefix is ${formatAddr(family, net)}/${len} (or write the address alone for /${max})`,
    );
  }
  return {
    family,
    net,
    len,
    text: len === max ? formatAddr(family, net) + `/${len}` : `${formatAddr(family, net)}/${len}`,
  };
}

export function contains(outer: Prefix, inner: Prefix): boolean {
  if (outer.family !== inner.family || outer.len > inner.len) return false;
  const max = outer.family === 4 ? 32 : 128;
  const shift = BigInt(max - outer.len);
  return inner.net >> shift === outer.net >> shift;
}

/** Remove prefixes covered by another (and duplicates); stable order by family, address, length. */
export function aggregate(list: Prefix[]): Prefix[] {
  const sorted = [...list].sort(
    (a, b) => a.family - b.family || (a.net < b.net ? -1 : a.net > b.net ? 1 : a.len - b.len),
  );
  const out: Prefix[] = [];
  for (const p of sorted) {
    if (out.some((q) => contains(q, p))) continue;
    out.push(p);
  }
  return out;
}

export function netmask4(len: number): string {
  return formatAddr(4, len === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - len)) - 1n));
}
export function wildcard4(len: number): string {
  return formatAddr(4, (1n << BigInt(32 - len)) - 1n);
}
export function addrOf(p: Prefix): string {
  return formatAddr(p.family, p.net);
}
