/**
 * One running test on either end: its streams, the interval timer, the omit period and the
 * interval records iperf3 prints (-i) and puts under "intervals" in -J output.
 */
import { CpuMeter, nowSec } from './clock.js';
import type { TestSettings } from './params.js';
import type { StreamStats } from './stream.js';
import { readTcpInfo } from './tcp-info.js';
import { congestionOf } from './sockopt.js';

export type Json = Record<string, unknown>;

export class Session {
  readonly streams: StreamStats[] = [];
  readonly intervals: Json[] = [];
  running = false;
  omitting = false;
  done = false;
  startAt = 0;
  endAt = 0;
  private ivStartAt = 0;
  private timers: NodeJS.Timeout[] = [];
  readonly cpu = new CpuMeter();
  cpuResult = { total: 0, user: 0, system: 0 };
  /** Interval stream rows kept for the -J document (128 streams × 3600 s would be ~460k objects). */
  static maxStoredRows = 100_000;
  private storedRows = 0;
  intervalsTruncated = false;
  onInterval?: (iv: Json) => void;
  /** Read kernel tcp_info of our sending TCP streams (getsockopt TCP_INFO through hostops_sock). */
  tcpInfo = false;
  /** The peer said sender_has_retransmits: 1 in its results. */
  peerHasRetransmits = false;
  onOmitDone?: () => void;

  constructor(
    readonly settings: TestSettings,
    readonly role: 'c' | 's',
    readonly interval: number,
  ) {}

  /** A stream belongs to the "forward" direction (client to server) in bidir summaries. */
  isForward(sender: boolean): boolean {
    return this.role === 'c' ? sender : !sender;
  }

  /** TEST_START: clocks start; TEST_RUNNING follows at once. */
  begin(): void {
    const now = nowSec();
    this.startAt = now;
    this.ivStartAt = now;
    this.running = true;
    this.cpu.reset();
    for (const s of this.streams) {
      s.startTime = now;
      s.rx?.start();
    }
    if (this.settings.omit > 0) {
      this.omitting = true;
      this.timers.push(setTimeout(() => this.endOmit(), this.settings.omit * 1000));
    }
    if (this.interval > 0) this.timers.push(setInterval(() => this.tick(), this.interval * 1000));
    // The algorithm our data sockets run (set with -C or the system default), as the kernel says.
    for (const s of this.streams) {
      if (s.tcpSock && !this.cc) this.cc = congestionOf(s.tcpSock);
    }
  }

  get hasTcpInfo(): boolean {
    return this.tcpInfo && this.streams.some((s) => s.sender && s.tcp);
  }

  /** One getsockopt per sending stream (microseconds), so Retr / Cwnd belong to the interval being closed. */
  refreshTcpInfo(): void {
    if (!this.tcpInfo) return;
    for (const s of this.streams) {
      if (!s.sender || !s.tcpSock) continue;
      const i = readTcpInfo(s.tcpSock);
      if (i) s.applyTcpInfo(i);
    }
  }

  /** Congestion control our data sockets use, as the kernel reports it. */
  get congestionUsed(): string | undefined {
    return this.cc;
  }
  private cc?: string;

  private endOmit(): void {
    this.tick();
    this.omitting = false;
    const now = nowSec();
    this.startAt = now;
    this.ivStartAt = now;
    this.cpu.reset();
    for (const s of this.streams) {
      s.markOmitEnd();
      s.startTime = now;
    }
    this.onOmitDone?.();
  }

  /** Close the current interval and report it. */
  tick(final = false): void {
    this.tickAt(nowSec(), final);
  }

  private tickAt(now: number, final: boolean): void {
    const len = now - this.ivStartAt;
    if (
      len <= 0 ||
      (final && this.interval > 0 && len < this.interval * 0.1 && this.intervals.length > 0)
    ) {
      if (final) for (const s of this.streams) this.resetIv(s);
      return;
    }
    if (!final) this.refreshTcpInfo();
    for (const s of this.streams) s.rx?.sync();
    const iv = this.intervalRecord(this.ivStartAt - this.startAt, now - this.startAt);
    this.ivStartAt = now;
    // Bounded memory on a long many-stream test: stop keeping rows past the cap (still reported live).
    this.storedRows += this.streams.length;
    if (this.storedRows <= Session.maxStoredRows) this.intervals.push(iv);
    else this.intervalsTruncated = true;
    this.onInterval?.(iv);
  }

  private resetIv(s: StreamStats): void {
    s.ivBytes = 0;
    if (s.tcp) s.tcp.ivRetransStart = s.tcp.retrans;
    s.ivPacketsStart = s.packets;
    s.ivErrorsStart = s.errors;
    s.ivOooStart = s.outOfOrder;
  }

  private intervalRecord(start: number, end: number): Json {
    const udp = this.settings.protocol === 'udp';
    const seconds = end - start;
    const rows: Json[] = [];
    const sums = new Map<
      boolean,
      {
        bytes: number;
        packets: number;
        lost: number;
        jitter: number;
        n: number;
        sender: boolean;
        retr: number | null;
      }
    >();
    for (const s of this.streams) {
      const bytes = s.ivBytes;
      const packets = s.packets - s.ivPacketsStart;
      const lost = s.errors - s.ivErrorsStart;
      const row: Json = {
        socket: s.socketNo,
        start,
        end,
        seconds,
        bytes,
        bits_per_second: seconds > 0 ? (bytes * 8) / seconds : 0,
      };
      const retr = !udp && s.sender && s.tcp ? s.tcp.retrans - s.tcp.ivRetransStart : null;
      if (retr !== null && s.tcp) {
        Object.assign(row, {
          retransmits: retr,
          snd_cwnd: s.tcp.cwnd,
          snd_wnd: s.tcp.sndWnd,
          rtt: s.tcp.rtt,
          rttvar: s.tcp.rttvar,
          pmtu: s.tcp.pmtu,
        });
      }
      if (udp && s.sender) row.packets = packets;
      if (udp && !s.sender) {
        row.jitter_ms = s.jitter * 1000;
        row.lost_packets = lost;
        row.packets = packets;
        row.lost_percent = packets > 0 ? (100 * lost) / packets : 0;
      }
      row.omitted = this.omitting;
      row.sender = s.sender;
      rows.push(row);
      const fwd = this.isForward(s.sender);
      const acc = sums.get(fwd) ?? {
        bytes: 0,
        packets: 0,
        lost: 0,
        jitter: 0,
        n: 0,
        sender: s.sender,
        retr: null,
      };
      acc.bytes += bytes;
      acc.packets += packets;
      acc.lost += lost;
      acc.jitter += s.jitter;
      acc.n++;
      if (retr !== null) acc.retr = (acc.retr ?? 0) + retr;
      sums.set(fwd, acc);
      this.resetIv(s);
    }
    const sumOf = (a: {
      bytes: number;
      packets: number;
      lost: number;
      jitter: number;
      n: number;
      sender: boolean;
      retr: number | null;
    }): Json => {
      const j: Json = {
        start,
        end,
        seconds,
        bytes: a.bytes,
        bits_per_second: seconds > 0 ? (a.bytes * 8) / seconds : 0,
      };
      if (a.retr !== null) j.retransmits = a.retr;
      if (udp && a.sender) j.packets = a.packets;
      if (udp && !a.sender) {
        j.jitter_ms = (a.jitter / Math.max(1, a.n)) * 1000;
        j.lost_packets = a.lost;
        j.packets = a.packets;
        j.lost_percent = a.packets > 0 ? (100 * a.lost) / a.packets : 0;
      }
      j.omitted = this.omitting;
      j.sender = a.sender;
      return j;
    };
    const iv: Json = { streams: rows };
    const fwd = sums.get(true);
    const rev = sums.get(false);
    if (this.settings.bidir) {
      if (fwd) iv.sum = sumOf(fwd);
      if (rev) iv.sum_bidir_reverse = sumOf(rev);
    } else {
      const only = fwd ?? rev;
      if (only) iv.sum = sumOf(only);
    }
    return iv;
  }

  /** TEST_END: stop timers, close the last partial interval, fix the end time and CPU figures. */
  finish(): void {
    if (this.done) return;
    this.done = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    const endAt = nowSec();
    const wasRunning = this.running;
    this.running = false; // receivers stop counting here
    for (const s of this.streams) s.rx?.stop();
    if (wasRunning) this.refreshTcpInfo();
    if (wasRunning) this.tickAt(endAt, true);
    this.endAt = endAt;
    for (const s of this.streams) s.endTime = this.endAt;
    this.cpuResult = this.cpu.read();
  }

  /** Seconds the measured part of the test lasted (after omit). */
  get elapsed(): number {
    return Math.max(0, (this.endAt || nowSec()) - this.startAt);
  }

  /** send_results: what this end tells the other. */
  resultsJson(extra: Json = {}): Json {
    const senderHasRetransmits = this.hasTcpInfo ? 1 : 0;
    const anySender = this.streams.some((s) => s.sender);
    return {
      cpu_util_total: this.cpuResult.total,
      cpu_util_user: this.cpuResult.user,
      cpu_util_system: this.cpuResult.system,
      sender_has_retransmits: anySender ? senderHasRetransmits : -1,
      ...extra,
      streams: this.streams.map((s) => s.toResult(this.elapsed)),
    };
  }

  clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }
}
