/**
 * What a configuration reload may change in a running agent and what needs a restart. Jobs are
 * compared by the part of the config each one reads, so a job whose part is unchanged keeps its
 * definition, schedule and state; the parts the process opened at start (listener, store, site
 * label, iperf3 server, probe back-ends) stay as they are and the reload says so.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ResolvedConfig } from '../config/index.js';

/** The sections a reload does not apply, each with how to read and how to keep it. */
const RESTART_ONLY: {
  field: string;
  get(c: ResolvedConfig): unknown;
  keep(next: ResolvedConfig, old: ResolvedConfig): void;
}[] = [
  {
    field: 'site',
    get: (c) => c.site,
    keep: (n, o) => {
      n.site = o.site;
    },
  },
  {
    field: 'listen',
    get: (c) => c.listen,
    keep: (n, o) => {
      n.listen = o.listen;
    },
  },
  {
    field: 'store',
    get: (c) => c.store,
    keep: (n, o) => {
      n.store = o.store;
    },
  },
  {
    field: 'ping.prober',
    get: (c) => c.ping.prober,
    keep: (n, o) => {
      n.ping = { ...n.ping, prober: o.ping.prober };
    },
  },
  {
    field: 'mailq.spool',
    get: (c) => c.mailq.spool,
    keep: (n, o) => {
      n.mailq = { ...n.mailq, spool: o.mailq.spool };
    },
  },
  {
    field: 'mailq.log',
    get: (c) => c.mailq.log,
    keep: (n, o) => {
      n.mailq = { ...n.mailq, log: o.mailq.log };
    },
  },
  {
    field: 'iperf.server/host/port',
    get: (c) => [c.iperf.server, c.iperf.host, c.iperf.port],
    keep: (n, o) => {
      n.iperf = { ...n.iperf, server: o.iperf.server, host: o.iperf.host, port: o.iperf.port };
    },
  },
];

/**
 * The config the agent runs after a reload: `next` with every restart-only section put back to
 * what is running, and the names of the sections that differed (to log as "needs a restart").
 */
export function applicable(
  old: ResolvedConfig,
  next: ResolvedConfig,
): { cfg: ResolvedConfig; restart: string[] } {
  const cfg: ResolvedConfig = { ...next };
  const restart: string[] = [];
  for (const r of RESTART_ONLY) {
    if (isDeepStrictEqual(r.get(old), r.get(next))) continue;
    restart.push(r.field);
    r.keep(cfg, old);
  }
  return { cfg, restart };
}

const targetIds = (c: ResolvedConfig, onlyPath = false) =>
  c.targets.filter((t) => !onlyPath || t.path).map((t) => [t.name, t.host]);

/** The part of the config a job reads (its definition is rebuilt only when this changes). */
export function jobInputs(name: string, c: ResolvedConfig): unknown {
  if (name === 'ping') return [c.ping, targetIds(c)];
  if (name === 'path') return [c.path, targetIds(c, true)];
  if (name.startsWith('iperf:'))
    return c.iperf.peers.find((p) => `iperf:${p.name}` === name) ?? null;
  if (name === 'mailq') return c.mailq.interval;
  if (name === 'mailq-sources') return c.mailq.sourcesInterval;
  if (name === 'ntp') return c.ntp;
  if (name === 'amp') return [c.amp, c.ntp.port];
  if (name === 'capacity') return c.capacity;
  if (name === 'prune') return c.store.retention;
  if (name.startsWith('probe:')) return c.probes.find((p) => `probe:${p.name}` === name) ?? null;
  return null; // rollup: reads nothing but the store
}

export function sameInputs(name: string, a: ResolvedConfig, b: ResolvedConfig): boolean {
  return isDeepStrictEqual(jobInputs(name, a), jobInputs(name, b));
}

export interface ReloadOk {
  ok: true;
  /** Jobs scheduled, dropped and redefined by this reload. */
  added: string[];
  removed: string[];
  changed: string[];
  targetsAdded: string[];
  targetsRemoved: string[];
  /** Sections that differ from the running ones and are kept until a restart. */
  restartNeeded: string[];
}
export interface ReloadFailed {
  ok: false;
  error: string;
}
export type ReloadResult = ReloadOk | ReloadFailed;

/** One log line for a reload outcome. */
export function describeReload(r: ReloadResult, source?: string | null): string {
  const from = source ? ` from ${source}` : '';
  if (!r.ok) return `config reload${from} failed, still running the previous config: ${r.error}`;
  const parts: string[] = [];
  if (r.targetsAdded.length) parts.push(`targets added: ${r.targetsAdded.join(', ')}`);
  if (r.targetsRemoved.length) parts.push(`targets removed: ${r.targetsRemoved.join(', ')}`);
  if (r.added.length) parts.push(`jobs added: ${r.added.join(', ')}`);
  if (r.removed.length) parts.push(`jobs removed: ${r.removed.join(', ')}`);
  if (r.changed.length) parts.push(`jobs changed: ${r.changed.join(', ')}`);
  let s = `config reloaded${from}: ${parts.length ? parts.join('; ') : 'no job or target changed'}`;
  if (r.restartNeeded.length)
    s += `; NOT applied, these need a restart (still running the old ones): ${r.restartNeeded.join(', ')}`;
  return s;
}
