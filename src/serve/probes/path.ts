/** Path (mtr-style) probing contract; the fallback runs Debian's `mtr --json`. */
import type { PathHop } from '../../store/index.js';
import { run } from './run.js';

export interface PathProber {
  readonly name: string;
  path(host: string, opts: { cycles: number; signal?: AbortSignal }): Promise<PathHop[]>;
}

interface MtrHub { count: number; host: string; 'Loss%': number; Snt: number; Avg: number; Best: number; Wrst: number }

/** `mtr --json` report (times in ms, loss in percent) to hops in seconds and ratios. */
export function parseMtrJson(text: string): PathHop[] {
  const doc = JSON.parse(text) as { report?: { hubs?: MtrHub[] } };
  const hops: PathHop[] = [];
  for (const h of doc.report?.hubs ?? []) {
    const lost = h.host === '???';
    const prev = hops.find((x) => x.ttl === h.count);
    if (prev) { if (!lost) prev.hosts.push(h.host); continue; }
    hops.push({ ttl: h.count, hosts: lost ? [] : [h.host], loss: h['Loss%'] / 100, sent: h.Snt,
      avg: lost ? null : h.Avg / 1000, best: lost ? null : h.Best / 1000, worst: lost ? null : h.Wrst / 1000 });
  }
  return hops;
}

export function mtrProber(bin = 'mtr'): PathProber {
  return {
    name: 'mtr',
    async path(host, o) {
      const r = await run([bin, '--json', '-n', '-c', String(o.cycles), '-i', '0.2', '-G', '1', host], { timeoutMs: o.cycles * 1000 + 30_000, signal: o.signal });
      if (r.code !== 0) throw new Error(`mtr failed for ${host}: ${r.stderr.trim().split('\n')[0] || `exit ${r.code}`}`);
      return parseMtrJson(r.stdout);
    },
  };
}
