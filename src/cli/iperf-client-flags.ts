/**
 * iperf3 client flags that need checking together or an OS call before the test: --dscp/-S,
 * -A, -B (each value's own type and range are read by the option table, iperf-options.ts).
 */
import { execFileSync } from 'node:child_process';
import { isIP } from 'node:net';
import { envError, usageError } from '../lib/errors.js';
import type { UnitFormat } from '../iperf/units.js';

export interface ClientFlagInput {
  format?: string;
  cport?: number;
  dscp?: string;
  tos?: number;
  zerocopy?: boolean;
  affinity?: string;
  bind?: string;
}

/** RFC 2474/2597/3246/8622 code point names iperf3 accepts for --dscp. */
const DSCP_NAMES: Record<string, number> = {
  cs0: 0,
  cs1: 8,
  cs2: 16,
  cs3: 24,
  cs4: 32,
  cs5: 40,
  cs6: 48,
  cs7: 56,
  le: 1,
  ef: 46,
  va: 44,
  af11: 10,
  af12: 12,
  af13: 14,
  af21: 18,
  af22: 20,
  af23: 22,
  af31: 26,
  af32: 28,
  af33: 30,
  af41: 34,
  af42: 36,
  af43: 38,
};

/** A C-style number (decimal, 0x hex, 0 octal), as iperf3 reads -S and --dscp with strtol(.., 0). */
export function cNumber(v: string): number {
  if (/^0x[0-9a-f]+$/i.test(v)) return parseInt(v.slice(2), 16);
  if (/^0[0-7]+$/.test(v)) return parseInt(v, 8);
  if (/^\d+$/.test(v)) return Number(v);
  return NaN;
}

export function parseDscp(v: string): number {
  const named = DSCP_NAMES[v.toLowerCase()];
  const n = named ?? cNumber(v);
  if (!Number.isInteger(n) || n < 0 || n > 63) {
    throw usageError(
      'IPERF_BAD_OPTION',
      `--dscp must be 0..63 or a name (ef, af11..af43, cs0..cs7, le, va), got "${v}"`,
    );
  }
  return n;
}

export function clientFlags(o: ClientFlagInput): {
  unit: UnitFormat;
  cport?: number;
  tos?: number;
} {
  const unit = (o.format ?? 'a') as UnitFormat;
  if (o.bind !== undefined && !isIP(o.bind))
    throw usageError('IPERF_BAD_OPTION', `-B must be a local IP address, got "${o.bind}"`);
  const cport = o.cport;
  if (o.dscp !== undefined && o.tos !== undefined)
    throw usageError('IPERF_BAD_OPTION', 'give one of --dscp and -S (both set the TOS byte)');
  let tos = o.tos;
  if (o.dscp !== undefined) tos = parseDscp(o.dscp) << 2;
  if (o.affinity !== undefined) pinCpu(o.affinity);
  return { unit, cport, tos };
}

/** -A n: sched_setaffinity on this process (through util-linux taskset; Node has no call for it). */
function pinCpu(v: string): void {
  if (/^\d+,\d+$/.test(v))
    throw usageError(
      'IPERF_BAD_OPTION',
      `-A ${v}: the server's core (",m") is not sent to the server; start the server with its own -A`,
    );
  if (!/^\d+$/.test(v))
    throw usageError('IPERF_BAD_OPTION', `-A takes a CPU core number, got "${v}"`);
  try {
    execFileSync('taskset', ['-a', '-p', '-c', v, String(process.pid)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    const why =
      (e as { stderr?: Buffer }).stderr?.toString().trim().split('\n').pop() ??
      (e as Error).message;
    throw envError('IPERF_AFFINITY', `-A ${v}: unable to set CPU affinity: ${why}`);
  }
}
