/**
 * Throughput contract: an iperf3 client run against a peer site and the iperf3 server every agent
 * offers its peers (implemented over src/iperf in throughput-iperf.ts). Results have the shape of
 * iperf3's -J object; toRecords keeps what the store needs.
 */
import type { ThroughputRecord } from '../../store/index.js';

export interface ThroughputRun { host: string; port: number; duration: number; protocol: 'tcp' | 'udp'; reverse: boolean; signal?: AbortSignal }
export interface ThroughputProber {
  readonly name: string;
  client(o: ThroughputRun): Promise<IperfResult>;
  server(o: { host: string; port: number }): Promise<{ port: number; close(): Promise<void> }>;
}

/** The part of iperf3's -J object the agent keeps. */
export interface IperfResult {
  error?: string;
  end?: {
    sum_sent?: { bytes?: number; bits_per_second?: number; retransmits?: number };
    sum_received?: { bytes?: number; bits_per_second?: number };
    sum?: { bytes?: number; bits_per_second?: number; jitter_ms?: number; lost_percent?: number; lost_packets?: number; packets?: number };
  };
}

/** One record per direction measured: what the client sent and what the far side received. */
export function toRecords(site: string, peer: string, ts: number, o: Pick<ThroughputRun, 'protocol' | 'reverse'>, r: IperfResult): ThroughputRecord[] {
  const base = { site, peer, ts, protocol: o.protocol };
  if (r.error) return [{ ...base, direction: o.reverse ? 'receive' : 'send', bitsPerSecond: null, bytes: null, error: r.error }];
  const e = r.end ?? {};
  const direction = o.reverse ? 'receive' : 'send';
  if (o.protocol === 'udp') {
    const s = e.sum ?? {};
    return [{ ...base, direction, bitsPerSecond: s.bits_per_second ?? null, bytes: s.bytes ?? null,
      jitter: s.jitter_ms != null ? s.jitter_ms / 1000 : null, lostRatio: s.lost_percent != null ? s.lost_percent / 100 : null }];
  }
  const rx = e.sum_received ?? {};
  const rt = e.sum_sent?.retransmits;
  return [{ ...base, direction, bitsPerSecond: rx.bits_per_second ?? null, bytes: rx.bytes ?? null,
    retransmits: rt == null || rt < 0 || rt > 2 ** 53 ? null : rt }];
}
