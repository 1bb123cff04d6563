/** bcp38's prefixes: the shared parser (src/lib/ip.ts) with precise errors; host bits are refused. */
import { HostopsError } from '../lib/errors.js';
import { formatAddress, hostMask, maxLength, parseCidr, toPrefix, type Prefix } from '../lib/ip.js';

export class CidrError extends HostopsError {
  constructor(message: string) {
    super('BCP38_BAD_CIDR', message);
  }
}

/** Parse "a.b.c.d/n", "x::/n" or a bare address (/32, /128). Host bits must be zero. */
export function parsePrefix(input: string): Prefix {
  if (typeof input !== 'string') throw new CidrError(`expected a CIDR string, got ${typeof input}`);
  const c = parseCidr(input);
  const s = c.text;
  if (c.fault === 'address' || c.fault === 'zone' || c.family === 0)
    throw new CidrError(`'${s}' is not an IPv4 or IPv6 prefix`);
  const max = maxLength(c.family);
  if (c.fault === 'length-syntax')
    throw new CidrError(`'${s}': prefix length '${c.lenText}' is not a number`);
  if (c.fault === 'length-range')
    throw new CidrError(`'${s}': prefix length ${c.len} exceeds ${max}`);
  const p = toPrefix(c);
  if ((c.bits & hostMask(c.family, c.len)) !== 0n) {
    throw new CidrError(
      `'${s}' has host bits set: the prefix is ${formatAddress(c.family, p.net)}/${c.len} (or write the address alone for /${max})`,
    );
  }
  return p;
}
