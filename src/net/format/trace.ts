/** traceroute 2.1 text layout: header line, then ` N  host (ip)  x.xxx ms ...` per hop. */
import type { TraceHop, TraceResult } from '../trace.js';
import { traceMpls } from '../mpls.js';

export function traceHeader(
  target: string,
  address: string,
  maxHops: number,
  packetLen: number,
): string {
  return `traceroute to ${target} (${address}), ${maxHops} hops max, ${packetLen} byte packets`;
}

/** One hop row; `name(ip)` gives the reverse name (undefined with -n); `ext`: -e, MPLS labels after the address. */
export function traceHopLine(
  hop: TraceHop,
  name?: (ip: string) => string | undefined,
  ext = false,
): string {
  let s = `${String(hop.ttl).padStart(2)} `;
  let prev: string | null = null;
  for (const p of hop.probes) {
    if (!p.address) {
      s += ' *';
      continue;
    }
    if (p.address !== prev) {
      const n = name?.(p.address);
      s += n === undefined ? ` ${p.address}` : ` ${n} (${p.address})`;
      if (ext && p.mpls) s += traceMpls(p.mpls);
      prev = p.address;
    }
    if (p.rtt !== null) s += `  ${(p.rtt * 1000).toFixed(3)} ms`;
    if (p.mark) s += ` ${p.mark}`;
  }
  return s;
}

export function traceText(r: TraceResult, name?: (ip: string) => string | undefined): string {
  return [
    traceHeader(r.target, r.address, r.maxHops, r.packetLen),
    ...r.hops.map((h) => traceHopLine(h, name)),
  ].join('\n');
}
