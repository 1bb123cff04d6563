/** iperf3 tests to each peer site on its own schedule (the peer runs the server side). */
import { toRecords } from '../probes/throughput.js';
import type { Job } from '../scheduler.js';
import type { PeerConfig } from '../../config/index.js';
import type { JobContext } from './context.js';

export function iperfJob(ctx: JobContext, peer: PeerConfig): Job {
  return {
    name: `iperf:${peer.name}`,
    interval: peer.interval,
    jitter: 0.2,
    timeout: peer.duration + 60,
    async run(signal) {
      const ts = ctx.now();
      const o = {
        duration: peer.duration,
        protocol: peer.protocol,
        reverse: peer.reverse,
        bitrate: peer.protocol === 'udp' ? 100e6 : undefined,
        interval: 0,
        connectTimeoutMs: 3000,
      };
      const res = await ctx.probes.throughput.probe({ host: peer.host, port: peer.port }, o, {
        signal,
      });
      const recs = toRecords(ctx.site, peer.name, ts, o, res);
      await ctx.store.writeThroughput(recs);
      for (const r of recs) {
        const l = { peer: r.peer, protocol: r.protocol, direction: r.direction };
        if (r.bitsPerSecond != null) ctx.metrics.throughput.set(l, r.bitsPerSecond / 8);
        if (r.retransmits != null) ctx.metrics.retransmits.set(l, r.retransmits);
        if (r.jitter != null) ctx.metrics.jitter.set(l, r.jitter);
        if (r.lostRatio != null) ctx.metrics.udpLoss.set(l, r.lostRatio);
      }
      if (res.error) throw new Error(`iperf3 to ${peer.name}: ${res.error}`);
    },
  };
}
