/** LatencyProber over src/net's pingMany: one socket for every target, staggered across the interval. */
import { isIP } from 'node:net';
import { pingMany } from '../../net/index.js';
import type { LatencyProber } from './latency.js';

export function netProber(): LatencyProber {
  return {
    name: 'src/net pingMany',
    async probe(targets, o) {
      if (!targets.length) return [];
      const hosts = [...new Set(targets.map((t) => t.host))];
      const res = await pingMany(hosts, { count: o.count, intervalMs: o.intervalMs, timeoutMs: o.timeoutMs, signal: o.signal, bind: o.bind,
        // a feed's source address fixes the family its targets are resolved in
        ...(o.bind?.source ? { family: isIP(o.bind.source) === 6 ? 6 : 4 } as const : {}) });
      const byHost = new Map(res.map((r) => [r.target, r]));
      return targets.map((t) => {
        const r = byHost.get(t.host);
        if (!r || r.error) return { target: t.name, host: t.host, sent: 0, received: 0, rtts: [], error: r?.error ?? 'no result' };
        const rtts = r.rtts.filter((x): x is number => x !== null);
        return { target: t.name, host: t.host, address: r.address, sent: r.transmitted, received: rtts.length, rtts };
      });
    },
  };
}
