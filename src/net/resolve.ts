/** Target validation and name resolution (numeric addresses skip DNS entirely). */
import { lookup, lookupService } from 'node:dns/promises';
import { isIP, SocketAddress } from 'node:net';
import { usageError } from '../lib/errors.js';
import type { Family } from './probe-socket.js';

export interface Resolved {
  /** what the user typed */
  target: string;
  address: string;
  family: Family;
  numeric: boolean;
}

const HOSTNAME =
  /^(?=.{1,253}$)([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)*\.?$/;

/**
 * inet_aton's forms ("127.1", "0x7f.1", "2130706433"), which glibc resolves without DNS, as a
 * dotted quad; null when `name` is not one. Names whose last label is numeric are never host names
 * (no top-level domain is all digits), so `numericName` lets callers refuse "300.1.1.1" before it
 * leaks to DNS as a query.
 */
export function inetAton(name: string): string | null {
  const parts = name.split('.');
  if (parts.length > 4) return null;
  const nums: number[] = [];
  for (const p of parts) {
    if (!/^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.test(p)) return null;
    nums.push(
      /^0x/i.test(p)
        ? parseInt(p.slice(2), 16)
        : p.length > 1 && p[0] === '0'
          ? parseInt(p, 8)
          : Number(p),
    );
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 2 ** (8 * (4 - nums.length))) return null;
  const v = nums.reduce((a, n, i) => a + n * 2 ** (8 * (3 - i)), 0) + last;
  return [24, 16, 8, 0].map((sh) => Math.floor(v / 2 ** sh) % 256).join('.');
}

export const numericName = (name: string) =>
  /^(0x[0-9a-f]+|[0-9]+)$/i.test(name.replace(/\.$/, '').split('.').at(-1) ?? '');

/** RFC 5952 text of an IPv6 literal: replies are matched by their (canonical) source address, so "0:0::1" or upper case must be canonical. */
export function canonical6(a: string): string {
  const [addr, scope] = a.split('%');
  try {
    return (
      new SocketAddress({ address: addr, family: 'ipv6' }).address +
      (scope !== undefined ? `%${scope}` : '')
    );
  } catch {
    return a;
  }
}

export async function resolveTarget(target: string, family?: Family): Promise<Resolved> {
  if (!isIP(target) && numericName(target)) {
    const quad = inetAton(target);
    if (!quad)
      throw usageError(
        'NET_BAD_TARGET',
        `not a valid IP address: ${JSON.stringify(target)}`,
        'each part of a dotted IPv4 address is 0..255',
      );
    if (family === 6) throw usageError('NET_FAMILY', `${target} is not an IPv6 address`);
    return { target, address: quad, family: 4, numeric: true };
  }
  const v = isIP(target);
  if (v) {
    if (family && v !== family)
      throw usageError('NET_FAMILY', `${target} is not an IPv${family} address`);
    return {
      target,
      address: v === 6 ? canonical6(target) : target,
      family: v as Family,
      numeric: true,
    };
  }
  if (!HOSTNAME.test(target))
    throw usageError('NET_BAD_TARGET', `not a hostname or IP address: ${JSON.stringify(target)}`);
  try {
    const r = await lookup(target, { family: family ?? 0 });
    return { target, address: r.address, family: r.family as Family, numeric: false };
  } catch {
    throw usageError(
      'NET_UNKNOWN_HOST',
      `${target}: Name or service not known`,
      'check the name, or give a numeric address',
    );
  }
}

const names = new Map<string, Promise<string>>();

/** Reverse name of an address through the system resolver (getnameinfo), cached; the address itself when none. */
export function reverseName(address: string): Promise<string> {
  let p = names.get(address);
  if (!p) {
    p = lookupService(address, 0).then(
      (r) => r.hostname,
      () => address,
    );
    names.set(address, p);
  }
  return p;
}
