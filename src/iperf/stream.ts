/**
 * Per-stream counters, kept the way iperf3 keeps them so results exchanged with a real peer mean
 * the same thing: bytes (minus the omitted warm-up), and for UDP the receiver's highest sequence
 * number as its packet count, gap-based loss, out-of-order and RFC 1889 jitter.
 */
import type net from 'node:net';

export interface PeerResult {
  bytes: number;
  retransmits: number;
  jitter: number;
  errors: number;
  packets: number;
  startTime?: number;
  endTime?: number;
}

/** Kernel TCP state of a sending stream (from tcp-info.ts), with the running max/min iperf3 keeps. */
export interface TcpState {
  retrans: number;
  ivRetransStart: number;
  omitRetrans: number;
  cwnd: number;
  sndWnd: number;
  rtt: number;
  rttvar: number;
  pmtu: number;
  maxCwnd: number;
  maxSndWnd: number;
  maxRtt: number;
  minRtt: number;
  sumRtt: number;
  countRtt: number;
}

/** A receiver that counts outside JS (the native UDP path): the session tells it when the test
 * runs and asks it to copy its totals into the stream before every report. */
export interface RxCounter {
  start(): void;
  /** Stop counting (TEST_END) after a last sync. */
  stop(): void;
  sync(): void;
}

export class StreamStats {
  bytes = 0;
  packets = 0;
  errors = 0;
  outOfOrder = 0;
  jitter = 0;
  private prevTransit = 0;
  private gotFirst = false;
  // snapshot taken when the omit period ends (iperf3 reports bytes - bytes_omit)
  omitBytes = 0;
  omitPackets = 0;
  omitErrors = 0;
  omitOutOfOrder = 0;
  // interval bookkeeping
  ivBytes = 0;
  ivPacketsStart = 0;
  ivErrorsStart = 0;
  ivOooStart = 0;
  peer: PeerResult | null = null;
  tcp: TcpState | null = null;
  startTime = 0;
  endTime = 0;
  local = { host: '', port: 0 };
  remote = { host: '', port: 0 };
  /** The TCP data socket, for tcp_info and socket options (null for UDP). */
  tcpSock: net.Socket | null = null;
  /** Set when a native receiver counts this stream's datagrams. */
  rx: RxCounter | null = null;

  constructor(
    readonly id: number,
    readonly sender: boolean,
    readonly socketNo: number,
  ) {}

  /** Receiver side of a UDP datagram: header already parsed. */
  udpReceived(size: number, seq: number, sentSec: number, sentUsec: number, nowSec: number): void {
    this.bytes += size;
    this.ivBytes += size;
    if (seq >= this.packets + 1) {
      if (seq > this.packets + 1) this.errors += seq - 1 - this.packets;
      this.packets = seq;
    } else {
      this.outOfOrder++;
      if (this.errors > 0) this.errors--;
    }
    const transit = nowSec - (sentSec + sentUsec / 1e6);
    if (!this.gotFirst) {
      this.prevTransit = transit;
      this.gotFirst = true;
    }
    const d = Math.abs(transit - this.prevTransit);
    this.prevTransit = transit;
    this.jitter += (d - this.jitter) / 16;
  }

  applyTcpInfo(i: {
    retrans: number;
    cwnd: number;
    sndWnd: number;
    rtt: number;
    rttvar: number;
    pmtu: number;
  }): void {
    const t = (this.tcp ??= {
      retrans: 0,
      ivRetransStart: 0,
      omitRetrans: 0,
      cwnd: 0,
      sndWnd: 0,
      rtt: 0,
      rttvar: 0,
      pmtu: 0,
      maxCwnd: 0,
      maxSndWnd: 0,
      maxRtt: 0,
      minRtt: 0,
      sumRtt: 0,
      countRtt: 0,
    });
    t.retrans = Math.max(t.retrans, i.retrans);
    t.cwnd = i.cwnd;
    t.sndWnd = i.sndWnd;
    t.rtt = i.rtt;
    t.rttvar = i.rttvar;
    t.pmtu = i.pmtu;
    t.maxCwnd = Math.max(t.maxCwnd, i.cwnd);
    t.maxSndWnd = Math.max(t.maxSndWnd, i.sndWnd);
    t.maxRtt = Math.max(t.maxRtt, i.rtt);
    t.minRtt = t.countRtt === 0 ? i.rtt : Math.min(t.minRtt, i.rtt);
    t.sumRtt += i.rtt;
    t.countRtt++;
  }

  /** Retransmits after the omit period, -1 when unknown (as iperf3 sends it). */
  get retransCount(): number {
    return this.tcp ? this.tcp.retrans - this.tcp.omitRetrans : -1;
  }

  /** Called when the omit period ends: later reports exclude what came before. */
  markOmitEnd(): void {
    if (this.tcp) this.tcp.omitRetrans = this.tcp.retrans;
    this.omitBytes = this.bytes;
    this.omitPackets = this.packets;
    this.omitErrors = this.errors;
    this.omitOutOfOrder = this.outOfOrder;
  }

  /** What send_results puts on the wire for this stream. */
  toResult(elapsed: number): Record<string, number> {
    return {
      id: this.id,
      bytes: this.bytes - this.omitBytes,
      retransmits: this.sender ? this.retransCount : -1,
      jitter: this.jitter,
      errors: this.errors - this.omitErrors,
      packets: this.packets - this.omitPackets,
      start_time: 0,
      end_time: elapsed,
    };
  }
}

/** Stream ids as iperf3 assigns them: 1, then 3, 4, 5 ... (never 2). */
export function streamId(index: number): number {
  return index === 0 ? 1 : index + 2;
}

/** 3.12/3.13 print -1 as 18446744073709551615; treat anything at or past 2^63 as -1. */
export function signedNumber(v: unknown, dflt = 0): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return dflt;
  return v >= 2 ** 63 ? -1 : v;
}

export function parsePeerStreams(json: Record<string, unknown>): Map<number, PeerResult> {
  const out = new Map<number, PeerResult>();
  const streams = json.streams;
  if (!Array.isArray(streams)) throw new Error('results JSON has no streams array');
  for (const s of streams.slice(0, 1024)) {
    if (typeof s !== 'object' || s === null) throw new Error('results JSON has a malformed stream');
    const r = s as Record<string, unknown>;
    for (const k of ['id', 'bytes', 'retransmits', 'jitter', 'errors', 'packets']) {
      if (typeof r[k] !== 'number') throw new Error(`results JSON stream lacks "${k}"`);
    }
    out.set(r.id as number, {
      bytes: signedNumber(r.bytes),
      retransmits: signedNumber(r.retransmits, -1),
      jitter: signedNumber(r.jitter),
      errors: signedNumber(r.errors),
      packets: signedNumber(r.packets),
      startTime: typeof r.start_time === 'number' ? r.start_time : undefined,
      endTime: typeof r.end_time === 'number' ? r.end_time : undefined,
    });
  }
  return out;
}

/** Addresses as iperf3 prints them: IPv4-mapped IPv6 shown as plain IPv4. */
export function plainAddr(a: string | undefined): string {
  if (!a) return '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
