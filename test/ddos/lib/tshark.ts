/** Runs tshark for cross-checks; fails loudly when it is missing (tests never skip a peer). */
import { spawnSync } from 'node:child_process';

export function tshark(args: string[]): string {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.error)
    throw new Error(
      `tshark is required for this test (apt-get install tshark): ${r.error.message}`,
    );
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export interface TsharkConv {
  a: string;
  pa: number;
  b: string;
  pb: number;
  framesBA: number;
  bytesBA: string;
  framesAB: number;
  bytesAB: string;
}

/** Parse `tshark -q -z conv,udp`; keyed by the unordered endpoint pair. */
export function convUdp(file: string): Map<string, TsharkConv> {
  return parseConvUdp(tshark(['-q', '-z', 'conv,udp', '-r', file]));
}

/** Parse the text of `tshark -q -z conv,udp` (for callers that run tshark themselves). */
export function parseConvUdp(text: string): Map<string, TsharkConv> {
  const out = new Map<string, TsharkConv>();
  const re =
    /^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+(\d+) (\d+ \w+)\s+(\d+) (\d+ \w+)\s+(\d+) (\d+ \w+)/;
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    const c = {
      a: m[1],
      pa: +m[2],
      b: m[3],
      pb: +m[4],
      framesBA: +m[5],
      bytesBA: m[6],
      framesAB: +m[7],
      bytesAB: m[8],
    };
    out.set(convKey(c.a, c.pa, c.b, c.pb), c);
  }
  return out;
}

export function convKey(a: string, pa: number, b: string, pb: number): string {
  const x = `${a}:${pa}`,
    y = `${b}:${pb}`;
  return x < y ? `${x}|${y}` : `${y}|${x}`;
}

/** tshark's size formatting in conversation tables (integer division, next unit from 10 of it). */
export function tsharkSize(n: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (i < units.length - 1 && Math.floor(n / 1000 ** (i + 1)) >= 10) i++;
  return `${Math.floor(n / 1000 ** i)} ${units[i]}`;
}
