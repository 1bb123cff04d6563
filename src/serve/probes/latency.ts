/**
 * The ping job's prober: every target in one round. Two implementations share this result shape
 * (src/net's pingMany in registry.ts, Debian's fping here as the fallback without the addon).
 */
import { run } from './run.js';
import type { SocketBind } from '../../net/bind.js';
import type { Prober } from './prober.js';

export interface LatencyTarget {
  name: string;
  host: string;
}
export interface LatencyResult {
  target: string;
  host: string;
  address?: string;
  sent: number;
  received: number;
  rtts: number[];
  error?: string;
}
/** `signal` here as well as in the context: latency probers written before the context read it from here. */
export interface LatencyOptions {
  count: number;
  intervalMs: number;
  timeoutMs: number;
  signal?: AbortSignal /** a transit feed: source / interface / fwmark */;
  bind?: SocketBind;
}

export type LatencyProber = Prober<LatencyTarget[], LatencyOptions, LatencyResult[]>;

/** Parse `fping -C N -q` lines: `host : 0.046 - 0.043` (ms, `-` = lost). */
export function parseFpingC(text: string): Map<string, (number | null)[]> {
  const out = new Map<string, (number | null)[]>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const vals = m[2]
      .trim()
      .split(/\s+/)
      .map((v) => (v === '-' ? null : Number(v) / 1000));
    if (vals.every((v) => v === null || Number.isFinite(v))) out.set(m[1], vals);
  }
  return out;
}

export function fpingProber(bin = 'fping'): LatencyProber {
  return {
    name: 'fping',
    async probe(targets, o, ctx) {
      if (!targets.length) return [];
      const hosts = [...new Set(targets.map((t) => t.host))];
      // -i: gap between packets to different targets; one sweep over all targets must fit in -p
      const gap = Math.max(0.1, Math.min(10, (o.intervalMs * 0.8) / hosts.length));
      const argv = [
        bin,
        '-C',
        String(o.count),
        '-q',
        '-p',
        String(Math.max(10, Math.round(o.intervalMs))),
        '-i',
        gap.toFixed(2),
        '-t',
        String(Math.round(o.timeoutMs)),
        '-B',
        '1',
        '-r',
        '0',
        ...fpingBind(o.bind),
        ...hosts,
      ];
      ctx?.log?.(`running ${argv.join(' ')}`);
      const r = await run(argv, {
        timeoutMs: o.count * o.intervalMs + o.timeoutMs + 10_000,
        signal: ctx?.signal ?? o.signal,
      });
      ctx?.log?.(`fping exited ${r.code}`);
      const parsed = parseFpingC(r.stderr);
      return targets.map((t) => {
        const vals = parsed.get(t.host);
        if (!vals)
          return {
            target: t.name,
            host: t.host,
            sent: 0,
            received: 0,
            rtts: [],
            error: r.stderr.split('\n').find((l) => l.includes(t.host)) ?? 'no result from fping',
          };
        const rtts = vals.filter((v): v is number => v !== null);
        return { target: t.name, host: t.host, sent: vals.length, received: rtts.length, rtts };
      });
    },
  };
}

/** fping's -S (source) and -I (interface); fping has no fwmark option. */
function fpingBind(b: SocketBind | undefined): string[] {
  if (!b) return [];
  if (b.mark !== undefined)
    throw new Error(
      'the fping prober cannot set a fwmark: use ping.prober: net for feeds with fwmark',
    );
  return [...(b.source ? ['-S', b.source] : []), ...(b.device ? ['-I', b.device] : [])];
}
