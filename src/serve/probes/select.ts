/** Pick a latency prober by name (config / benchmarks): 'net' (src/net pingMany) or 'fping'. */
import { fpingProber, type LatencyProber } from './latency.js';

export function latencyProber(name: string): LatencyProber {
  switch (name) {
    case 'auto':
    case 'fping': return fpingProber();
    default: throw new Error(`unknown latency prober ${JSON.stringify(name)} (expected auto, net or fping)`);
  }
}
