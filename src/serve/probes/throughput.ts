/**
 * Throughput: the agent's iperf3 server that peers test against, and the records an iperf3 -J
 * document (src/iperf's IperfJson, from the `iperf` prober of registry.ts) becomes.
 */
import type { ThroughputRecord } from '../../store/index.js';

export interface ThroughputRun {
  host: string;
  port: number;
  duration: number;
  protocol: 'tcp' | 'udp';
  reverse: boolean;
  signal?: AbortSignal;
}

/** The part of an iperf3 -J document the records come from (IperfJson, or a hand-written one). */
export interface IperfResult {
  error?: string;
  end?: Record<string, unknown>;
}

/** A number at obj.a.b, or undefined: the -J `end` object is untyped JSON. */
const num = (o: Record<string, unknown> | undefined, a: string, b: string): number | undefined => {
  const inner = o?.[a];
  const v = inner && typeof inner === 'object' ? (inner as Record<string, unknown>)[b] : undefined;
  return typeof v === 'number' ? v : undefined;
};

/** One record per direction measured: what the client sent and what the far side received. */
export function toRecords(
  site: string,
  peer: string,
  ts: number,
  o: Pick<ThroughputRun, 'protocol' | 'reverse'>,
  r: IperfResult,
): ThroughputRecord[] {
  const base = { site, peer, ts, protocol: o.protocol };
  if (r.error)
    return [
      {
        ...base,
        direction: o.reverse ? 'receive' : 'send',
        bitsPerSecond: null,
        bytes: null,
        error: r.error,
      },
    ];
  const e = r.end;
  const direction = o.reverse ? 'receive' : 'send';
  if (o.protocol === 'udp') {
    const jitter = num(e, 'sum', 'jitter_ms');
    const lost = num(e, 'sum', 'lost_percent');
    return [
      {
        ...base,
        direction,
        bitsPerSecond: num(e, 'sum', 'bits_per_second') ?? null,
        bytes: num(e, 'sum', 'bytes') ?? null,
        jitter: jitter != null ? jitter / 1000 : null,
        lostRatio: lost != null ? lost / 100 : null,
      },
    ];
  }
  const rt = num(e, 'sum_sent', 'retransmits');
  return [
    {
      ...base,
      direction,
      bitsPerSecond: num(e, 'sum_received', 'bits_per_second') ?? null,
      bytes: num(e, 'sum_received', 'bytes') ?? null,
      retransmits: rt == null || rt < 0 || rt > 2 ** 53 ? null : rt,
    },
  ];
}
