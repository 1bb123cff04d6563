/** Pick a latency prober by name (config / benchmarks): 'net' (src/net pingMany) or 'fping'. */
import { fpingProber, type LatencyProber } from './latency.js';
import { netProber } from './latency-net.js';
import { loadAddon } from '../../lib/native.js';

/** src/net needs its native addon; without it (no compiler at install) fping still works. */
function netAvailable(): boolean {
  try { loadAddon('hostops_probe'); return true; } catch { return false; }
}

export function latencyProber(name: string): LatencyProber {
  switch (name) {
    case 'net': return netProber();
    case 'auto': return netAvailable() ? netProber() : fpingProber();
    case 'fping': return fpingProber();
    default: throw new Error(`unknown latency prober ${JSON.stringify(name)} (expected auto, net or fping)`);
  }
}
