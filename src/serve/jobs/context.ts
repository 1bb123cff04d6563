import type { ResolvedConfig } from '../../config/index.js';
import type { Store } from '../../store/index.js';
import type { AgentMetrics } from '../metrics.js';
import type { Probes } from '../probes/index.js';

/** What every job factory gets: the resolved config, the store, the metrics and the probes. */
export interface JobContext {
  cfg: ResolvedConfig;
  site: string;
  store: Store;
  metrics: AgentMetrics;
  probes: Probes;
  now(): number;
  log(msg: string): void;
  /** Targets a round could not probe at all (no route, unresolvable name): they are down too. */
  unprobed?(ts: number, results: { target: string; host: string; error?: string }[]): void;
}
