/**
 * fping's ways of naming many targets: `-g` (a CIDR block or a start and end address) and `-f`
 * (a file of names). Pure functions; the CLI reads the file.
 */
import { usageError } from '../lib/errors.js';
import { addressFamily, parseCidr, u32ToV4, v4ToU32 } from '../lib/ip.js';

/** The most addresses one -g may produce (a /16): more is almost always a typo. */
export const MAX_GENERATED = 65536;

function v4(a: string, what: string): number {
  if (addressFamily(a) !== 4)
    throw usageError(
      'PING_BAD_GENERATE',
      `-g: ${what} ${JSON.stringify(a)} is not an IPv4 address`,
      'e.g. -g 198.18.0.0/28 or -g 198.18.0.1 198.18.0.14',
    );
  return v4ToU32(a);
}

function range(from: number, to: number): string[] {
  if (to - from + 1 > MAX_GENERATED) {
    throw usageError(
      'PING_BAD_GENERATE',
      `-g would generate ${to - from + 1} targets (at most ${MAX_GENERATED})`,
      'use a longer prefix or a shorter range',
    );
  }
  const out: string[] = [];
  for (let v = from; v <= to; v++) out.push(u32ToV4(v));
  return out;
}

/**
 * fping -g: `["198.18.0.0/28"]` or `["198.18.0.1", "198.18.0.14"]`. A CIDR block below /31 leaves
 * out its network and broadcast addresses (a /31 and a /32 give all of theirs), as fping 5.1
 * does; a start above the end gives no targets (fping then exits 1 quietly).
 */
export function generateTargets(args: string[]): string[] {
  if (args.length === 1) {
    // the one address/prefix parser (lib/ip) that amp, bcp38 and ddos use
    const c = parseCidr(args[0]);
    if (c.lenText === null || c.lenText === '' || c.fault === 'length-syntax')
      throw usageError(
        'PING_BAD_GENERATE',
        `-g: ${JSON.stringify(args[0])} is neither a CIDR block nor a start and end address`,
        'e.g. -g 198.18.0.0/28 or -g 198.18.0.1 198.18.0.14',
      );
    const bits = Number(c.lenText);
    if (bits > 32) throw usageError('PING_BAD_GENERATE', `-g: prefix length /${bits} is above 32`);
    const size = 2 ** (32 - bits);
    const net = Math.floor(v4(c.addr, 'network') / size) * size;
    return bits < 31 ? range(net + 1, net + size - 2) : range(net, net + size - 1);
  }
  if (args.length === 2) return range(v4(args[0], 'start'), v4(args[1], 'end'));
  throw usageError(
    'PING_BAD_GENERATE',
    `-g takes a CIDR block or a start and end address, not ${args.length} arguments`,
    'e.g. -g 198.18.0.0/28',
  );
}

/**
 * fping -f: one target per line, the first word of the line; blank lines and lines whose first
 * non-blank character is '#' are skipped (so is anything after the first word).
 */
export function parseTargetFile(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const word = line.trim().split(/\s+/)[0];
    if (word && !word.startsWith('#')) out.push(word);
  }
  return out;
}
