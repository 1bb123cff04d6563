/**
 * IPv4/IPv6 addresses and prefixes: one parser and validator, with the representation each hot
 * path needs. u32 for IPv4 scan ranges (amp walks millions), bigint for prefix arithmetic on
 * both families (bcp38), four u32 words for packet keys (ddos: IPv4 stored IPv4-mapped so one key
 * fits both). Text out is RFC 5952 for IPv6 and dotted quad for IPv4.
 * Parsing returns a fault instead of throwing so each command keeps its own error code and words.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ipv6Text } from './ipv6-text.js';

export type Family = 4 | 6;

export const maxLength = (f: Family): number => (f === 4 ? 32 : 128);

/**
 * Why a text is not an address or prefix: 'address' (neither family), 'zone' (IPv6 with a %zone:
 * an interface-local name, not a network), 'length-syntax' (the part after '/' is not 1-3
 * digits), 'length-range' (longer than the family allows).
 */
export type CidrFault = 'address' | 'zone' | 'length-syntax' | 'length-range';

export interface CidrText {
  /** The input without surrounding white space. */
  text: string;
  /** The family the address part belongs to (6 also for a zoned address); 0 when neither. */
  family: 0 | Family;
  /** The text before the first '/', and after it (null without a '/'). */
  addr: string;
  lenText: string | null;
  /** null when the text is a valid address or prefix. */
  fault: CidrFault | null;
  /** The address as an integer (0n on a fault); host bits are as written. */
  bits: bigint;
  /** The prefix length (the family's maximum without a '/'; NaN on a fault). */
  len: number;
}

/** "a.b.c.d", "a.b.c.d/n", "x::y" or "x::/n". */
export function parseCidr(input: string): CidrText {
  const text = input.trim();
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const lenText = slash < 0 ? null : text.slice(slash + 1);
  const out: CidrText = { text, family: 0, addr, lenText, fault: null, bits: 0n, len: Number.NaN };
  if (isIPv4(addr)) out.family = 4;
  else if (isIPv6(addr)) out.family = 6;
  else return { ...out, fault: 'address' };
  if (addr.includes('%')) return { ...out, fault: 'zone' };
  const max = maxLength(out.family);
  if (lenText !== null && !/^\d{1,3}$/.test(lenText)) return { ...out, fault: 'length-syntax' };
  const len = lenText === null ? max : Number(lenText);
  if (len > max) return { ...out, fault: 'length-range', len };
  return { ...out, len, bits: out.family === 4 ? v4ToBigInt(addr) : v6ToBigInt(addr) };
}

/** 4 or 6 for an address (no prefix, no zone), 0 for anything else. */
export function addressFamily(s: string): 0 | Family {
  if (isIPv4(s)) return 4;
  return isIPv6(s) && !s.includes('%') ? 6 : 0;
}

// --- u32: IPv4 only, for scanning ---

/** A dotted quad already validated (isIPv4 / parseCidr) as a u32. */
export function v4ToU32(ip: string): number {
  const p = ip.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}
export const u32ToV4 = (n: number): string =>
  `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** An inclusive IPv4 range as u32s. */
export interface Range {
  lo: number;
  hi: number;
}

/** The block an IPv4 address falls in at a prefix length (host bits masked off). */
export function v4Block(addr: number, len: number): Range {
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const lo = (addr & mask) >>> 0;
  return { lo, hi: (lo | (~mask >>> 0)) >>> 0 };
}

/** Sorted, with overlapping and adjacent ranges joined. */
export function mergeRanges(rs: Range[]): Range[] {
  const sorted = [...rs].sort((a, b) => a.lo - b.lo);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r.lo <= last.hi + 1) last.hi = Math.max(last.hi, r.hi);
    else out.push({ ...r });
  }
  return out;
}

/** `rs` less every address in `cut` (both merged). */
export function subtractRanges(rs: Range[], cut: Range[]): Range[] {
  let left = rs;
  for (const ex of cut) {
    const next: Range[] = [];
    for (const r of left) {
      if (ex.hi < r.lo || ex.lo > r.hi) {
        next.push(r);
        continue;
      }
      if (ex.lo > r.lo) next.push({ lo: r.lo, hi: ex.lo - 1 });
      if (ex.hi < r.hi) next.push({ lo: ex.hi + 1, hi: r.hi });
    }
    left = next;
  }
  return left;
}

export const countAddresses = (rs: Range[]): number =>
  rs.reduce((s, r) => s + (r.hi - r.lo + 1), 0);

/** All addresses as a Uint32Array (host order); callers cap the size first. */
export function expandRanges(rs: Range[]): Uint32Array {
  const out = new Uint32Array(countAddresses(rs));
  let i = 0;
  for (const r of rs) for (let a = r.lo; a <= r.hi; a++) out[i++] = a;
  return out;
}

// --- bigint: both families, for prefix arithmetic ---

export interface Prefix {
  family: Family;
  /** Network address as an integer (host bits zero). */
  net: bigint;
  len: number;
  /** Canonical text, e.g. 198.18.10.0/24 or 2001:db8::/32. */
  text: string;
}

function v4ToBigInt(a: string): bigint {
  return a.split('.').reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n);
}

function v6ToBigInt(a: string): bigint {
  let s = a;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = v4ToBigInt(v4[1]);
    s = `${s.slice(0, v4.index)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [h, t] = s.includes('::') ? s.split('::') : [s, undefined];
  const hs = h ? h.split(':') : [];
  const ts = t === undefined ? [] : t ? t.split(':') : [];
  const groups =
    t === undefined ? hs : [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function formatAddress(family: Family, n: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  return ipv6Text(g);
}

/** The host-part mask of a prefix length. */
export const hostMask = (family: Family, len: number): bigint =>
  (1n << BigInt(maxLength(family) - len)) - 1n;

/** A prefix from a parsed text, host bits cleared. */
export function toPrefix(c: CidrText): Prefix {
  const family = c.family as Family;
  const net = c.bits & ~hostMask(family, c.len);
  return { family, net, len: c.len, text: `${formatAddress(family, net)}/${c.len}` };
}

export function contains(outer: Prefix, inner: Prefix): boolean {
  if (outer.family !== inner.family || outer.len > inner.len) return false;
  const shift = BigInt(maxLength(outer.family) - outer.len);
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

export const netmask4 = (len: number): string => formatAddress(4, 0xffffffffn ^ hostMask(4, len));
export const wildcard4 = (len: number): string => formatAddress(4, hostMask(4, len));
export const addrOf = (p: Prefix): string => formatAddress(p.family, p.net);

// --- four u32 words: packet keys ---

/** Words 0..2 of an IPv4-mapped address are 0, 0, 0xffff. */
export function isV4Words(w: ArrayLike<number>, o = 0): boolean {
  return w[o] === 0 && w[o + 1] === 0 && w[o + 2] === 0xffff;
}

export function formatWords(w: ArrayLike<number>, o = 0): string {
  if (isV4Words(w, o)) return u32ToV4(w[o + 3]);
  const g: number[] = [];
  for (let i = 0; i < 4; i++) g.push(w[o + i] >>> 16, w[o + i] & 0xffff);
  return ipv6Text(g);
}
