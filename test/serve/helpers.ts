import path from 'node:path';
import {
  configSchema,
  resolveConfig,
  type ConfigInput,
  type ResolvedConfig,
} from '../../src/config/index.js';
import type { Probes, LatencyProber } from '../../src/serve/index.js';
import type { MailqSource } from '../../src/serve/probes/mailq.js';

export { freePort } from '../store/pg-cluster.js';
export { tempDir, rounds } from '../store/helpers.js';

/** A config for tests: no gateway (traffic stays on loopback), SQLite in dir, a free port. */
export function testConfig(
  dir: string,
  port: number,
  extra: Partial<ConfigInput> = {},
): ResolvedConfig {
  const cfg = configSchema.parse({
    site: 'test',
    defaults: { gateway: false },
    listen: { host: '127.0.0.1', port },
    store: { path: path.join(dir, 'h.db'), spool: { path: path.join(dir, 'spool.db') } },
    iperf: { server: false },
    ntp: { enabled: false },
    amp: { enabled: false },
    mailq: { enabled: false },
    path: { enabled: false },
    ...extra,
  });
  return resolveConfig(cfg, { routeFile: '/nonexistent' });
}

/** A latency prober answering from a table (no packets), for tests that need exact numbers. */
/** A latency prober that measures nothing: the store holds only the history a test wrote. */
export const silentProber: LatencyProber = { name: 'silent', probe: async () => [] };

export function tableProber(rtt: Record<string, number[]>, lossEvery = 0): LatencyProber {
  return {
    name: 'table',
    async probe(targets, o) {
      return targets.map((t) => {
        const base = rtt[t.host] ?? [0.001];
        const rtts: number[] = [];
        for (let i = 0; i < o.count; i++)
          if (!(lossEvery && i % lossEvery === 0)) rtts.push(base[i % base.length]);
        return { target: t.name, host: t.host, sent: o.count, received: rtts.length, rtts };
      });
    },
  };
}

export function fakeMailq(): MailqSource & { removed: string[] } {
  const removed: string[] = [];
  return {
    name: 'fake',
    removed,
    async available() {
      return true;
    },
    async sample() {
      return {
        messages: 3,
        frozen: 1,
        bytes: 4096,
        oldestAge: 600,
        topSenders: [
          { sender: '<script>alert(1)</script>@spam.example', messages: 2, bytes: 3000 },
        ],
        topDomains: [{ domain: 'example.net', messages: 3 }],
        frozenIds: ['1abcDE-000123-AB'],
      };
    },
    async remove(ids) {
      removed.push(...ids);
      return { removed: ids, failed: [] };
    },
    async sources() {
      return {
        messages: 120,
        top: [
          {
            source: '/home/shop/public_html/wp-content/x.php',
            kind: 'script',
            messages: 117,
            queued: 2,
          },
        ],
      };
    },
  };
}

export type { Probes };

/** P(X <= k) and P(X >= k) for X ~ Binomial(n, p). */
export function binomTails(n: number, p: number, k: number): { le: number; ge: number } {
  let pmf = (1 - p) ** n;
  let le = 0;
  let ge = 0;
  for (let i = 0; i <= n; i++) {
    if (i <= k) le += pmf;
    if (i >= k) ge += pmf;
    pmf *= ((n - i) / (i + 1)) * (p / (1 - p));
  }
  return { le, ge };
}
