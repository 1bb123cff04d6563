/** PathProber over src/net's mtr. */
import { isIP } from 'node:net';
import { mtr } from '../../net/index.js';
import type { PathProber } from './path.js';

export function netPathProber(): PathProber {
  return {
    name: 'src/net mtr',
    async path(host, o) {
      const r = await mtr(host, { cycles: o.cycles, intervalMs: 200, signal: o.signal, bind: o.bind,
        ...(o.bind?.source ? { family: isIP(o.bind.source) === 6 ? 6 : 4 } as const : {}) });
      const hops = r.hops.map((h) => ({
        ttl: h.ttl, hosts: h.hosts, loss: h.loss / 100, sent: h.sent,
        avg: h.received ? h.avg : null, best: h.received ? h.best : null, worst: h.received ? h.worst : null,
      }));
      return { hops, advice: r.advice };
    },
  };
}
