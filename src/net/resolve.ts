/** Target validation and name resolution (numeric addresses skip DNS entirely). */
import { lookup, lookupService } from 'node:dns/promises';
import { isIP } from 'node:net';
import { usageError } from '../lib/errors.js';
import type { Family } from './probe-socket.js';

export interface Resolved {
  /** what the user typed */
  target: string;
  address: string;
  family: Family;
  numeric: boolean;
}

const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)*\.?$/;

export async function resolveTarget(target: string, family?: Family): Promise<Resolved> {
  const v = isIP(target);
  if (v) {
    if (family && v !== family) throw usageError('NET_FAMILY', `${target} is not an IPv${family} address`);
    return { target, address: target, family: v as Family, numeric: true };
  }
  if (!HOSTNAME.test(target)) throw usageError('NET_BAD_TARGET', `not a hostname or IP address: ${JSON.stringify(target)}`);
  try {
    const r = await lookup(target, { family: family ?? 0 });
    return { target, address: r.address, family: r.family as Family, numeric: false };
  } catch (e) {
    throw usageError('NET_UNKNOWN_HOST', `${target}: Name or service not known`,
      'check the name, or give a numeric address');
  }
}

const names = new Map<string, Promise<string>>();

/** Reverse name of an address through the system resolver (getnameinfo), cached; the address itself when none. */
export function reverseName(address: string): Promise<string> {
  let p = names.get(address);
  if (!p) {
    p = lookupService(address, 0).then((r) => r.hostname, () => address);
    names.set(address, p);
  }
  return p;
}
