/**
 * ECMP discovery: several Paris traces that differ only in their flow id (source port / ICMP id).
 * Each trace stays on one path; their union per TTL lists the next hops a load balancer uses.
 */
import { trace, type TraceOptions } from './trace.js';

export interface EcmpResult {
  target: string;
  flows: number[];
  hops: { ttl: number; addresses: string[] }[];
}

export async function discoverEcmp(
  target: string,
  opts: TraceOptions & { flows?: number },
): Promise<EcmpResult> {
  const n = opts.flows ?? 8;
  const flows: number[] = [];
  const seen = new Map<number, Set<string>>();
  for (let i = 0; i < n; i++) {
    const flow = 33000 + ((i * 7919) % 30000);
    const r = await trace(target, {
      ...opts,
      flow,
      probesPerHop: opts.probesPerHop ?? 1,
      onHop: undefined,
    });
    flows.push(r.flow);
    for (const h of r.hops) {
      const s = seen.get(h.ttl) ?? new Set<string>();
      for (const p of h.probes) if (p.address) s.add(p.address);
      seen.set(h.ttl, s);
    }
    if (opts.signal?.aborted) break;
  }
  const hops = [...seen.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([ttl, s]) => ({ ttl, addresses: [...s].sort() }));
  return { target, flows, hops };
}
