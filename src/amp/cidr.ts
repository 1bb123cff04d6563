/** IPv4 target ranges: CIDRs / addresses / a-b ranges as amp's users write them, less the excludes. */
import { usageError } from '../lib/errors.js';
import {
  addressFamily,
  mergeRanges,
  parseCidr,
  subtractRanges,
  v4Block,
  v4ToU32,
  type Range,
} from '../lib/ip.js';

export type { Range } from '../lib/ip.js';

/** `198.18.0.0/20`, `198.18.0.7`, `198.18.0.1-198.18.0.9`. IPv6 is refused (not scannable). */
export function parseRange(spec: string): Range {
  const s = spec.trim();
  const dash = s.indexOf('-');
  if (dash > 0) {
    const a = s.slice(0, dash),
      b = s.slice(dash + 1);
    if (addressFamily(a) === 4 && addressFamily(b) === 4 && v4ToU32(a) <= v4ToU32(b))
      return { lo: v4ToU32(a), hi: v4ToU32(b) };
    throw usageError(
      'AMP_BAD_TARGET',
      `bad address range ${JSON.stringify(spec)}`,
      'use A.B.C.D-E.F.G.H with the lower address first',
    );
  }
  const c = parseCidr(s);
  if (c.family === 6)
    throw usageError(
      'AMP_BAD_TARGET',
      `IPv6 target ${spec}: scanning IPv6 ranges is not supported`,
      'check IPv6 hosts one by one with `hostops ntp check`',
    );
  if (c.fault === 'address')
    throw usageError('AMP_BAD_TARGET', `not an IPv4 address or CIDR: ${JSON.stringify(spec)}`);
  if (c.fault) throw usageError('AMP_BAD_TARGET', `bad prefix length in ${JSON.stringify(spec)}`);
  // a scan block may be written with host bits set: it means the block that address is in
  return v4Block(Number(c.bits), c.len);
}

/** Merge overlapping ranges, then remove the excluded ones. */
export function buildTargets(include: string[], exclude: string[] = []): Range[] {
  return subtractRanges(mergeRanges(include.map(parseRange)), mergeRanges(exclude.map(parseRange)));
}
