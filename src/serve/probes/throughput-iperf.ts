/** ThroughputProber over src/iperf: runClient (iperf3 -J shaped result) and startServer. */
import { runClient, startServer } from '../../iperf/index.js';
import type { IperfResult, ThroughputProber } from './throughput.js';

export function iperfModuleProber(): ThroughputProber {
  return {
    name: 'src/iperf',
    async client(o) {
      try {
        return (await runClient({ host: o.host, port: o.port, duration: o.duration, protocol: o.protocol, reverse: o.reverse,
          bitrate: o.protocol === 'udp' ? 100e6 : undefined, interval: 0, connectTimeoutMs: 3000, signal: o.signal })) as unknown as IperfResult;
      } catch (e) {
        return { error: (e as Error).message };
      }
    },
    async server(o) {
      const s = await startServer({ host: o.host, port: o.port, interval: 0 });
      return { port: s.port, close: () => s.close() };
    },
  };
}
