/** IPv4 target ranges: parse CIDRs / addresses / a-b ranges, subtract excludes, iterate. */
import net from 'node:net';
import { usageError } from '../lib/errors.js';

export interface Range {
  lo: number;
  hi: number;
}

export function ipToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}
export const intToIp = (n: number) =>
  `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** `198.18.0.0/20`, `198.18.0.7`, `198.18.0.1-198.18.0.9`. IPv6 is refused (not scannable). */
export function parseRange(spec: string): Range {
  const s = spec.trim();
  const dash = s.indexOf('-');
  if (dash > 0) {
    const a = s.slice(0, dash),
      b = s.slice(dash + 1);
    if (net.isIPv4(a) && net.isIPv4(b) && ipToInt(a) <= ipToInt(b))
      return { lo: ipToInt(a), hi: ipToInt(b) };
    throw usageError(
      'AMP_BAD_TARGET',
      `bad address range ${JSON.stringify(spec)}`,
      'use A.B.C.D-E.F.G.H with the lower address first',
    );
  }
  const [ip, lenS] = s.split('/');
  if (net.isIPv6(ip))
    throw usageError(
      'AMP_BAD_TARGET',
      `IPv6 target ${spec}: scanning IPv6 ranges is not supported`,
      'check IPv6 hosts one by one with `hostops ntp check`',
    );
  if (!net.isIPv4(ip))
    throw usageError('AMP_BAD_TARGET', `not an IPv4 address or CIDR: ${JSON.stringify(spec)}`);
  const len = lenS === undefined ? 32 : Number(lenS);
  if (
    !Number.isInteger(len) ||
    len < 0 ||
    len > 32 ||
    (lenS !== undefined && !/^\d{1,2}$/.test(lenS))
  ) {
    throw usageError('AMP_BAD_TARGET', `bad prefix length in ${JSON.stringify(spec)}`);
  }
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const lo = (ipToInt(ip) & mask) >>> 0;
  return { lo, hi: (lo | (~mask >>> 0)) >>> 0 };
}

/** Merge overlapping ranges, then remove the excluded ones. */
export function buildTargets(include: string[], exclude: string[] = []): Range[] {
  const merge = (rs: Range[]) => {
    const sorted = [...rs].sort((a, b) => a.lo - b.lo);
    const out: Range[] = [];
    for (const r of sorted) {
      const last = out.at(-1);
      if (last && r.lo <= last.hi + 1) last.hi = Math.max(last.hi, r.hi);
      else out.push({ ...r });
    }
    return out;
  };
  let rs = merge(include.map(parseRange));
  for (const ex of merge(exclude.map(parseRange))) {
    const next: Range[] = [];
    for (const r of rs) {
      if (ex.hi < r.lo || ex.lo > r.hi) {
        next.push(r);
        continue;
      }
      if (ex.lo > r.lo) next.push({ lo: r.lo, hi: ex.lo - 1 });
      if (ex.hi < r.hi) next.push({ lo: ex.hi + 1, hi: r.hi });
    }
    rs = next;
  }
  return rs;
}

export const countAddresses = (rs: Range[]) => rs.reduce((s, r) => s + (r.hi - r.lo + 1), 0);

/** All addresses as a Uint32Array (host order); callers cap the size first. */
export function expand(rs: Range[]): Uint32Array {
  const out = new Uint32Array(countAddresses(rs));
  let i = 0;
  for (const r of rs) for (let a = r.lo; a <= r.hi; a++) out[i++] = a;
  return out;
}
