/**
 * mtr-style path monitor: every interval one probe per TTL (spread over the interval), per-hop
 * statistics as mtr keeps them, every responder per hop, and plain-words advice.
 */
import { mplsLabel, type MplsLabel } from './mpls.js';
import { PathProber, type HopAnswer, type TraceProtocol } from './path-prober.js';
import { nowNs, type Family } from './probe-socket.js';
import { resolveTarget, type Resolved } from './resolve.js';
import { MtrStats } from './stats.js';
import { advise } from './advice.js';
import { checkBindFamily, type SocketBind } from './bind.js';

export interface MtrOptions {
  /** rounds to run (report mode); 0 = until stop() */
  cycles?: number;
  intervalMs?: number;
  protocol?: TraceProtocol;
  maxHops?: number;
  firstHop?: number;
  /** a probe unanswered this long is lost (default max(2 s, 2 intervals)) */
  timeoutMs?: number;
  /** total packet size as mtr counts it (default 64) */
  packetSize?: number;
  port?: number;
  tos?: number;
  family?: Family;
  signal?: AbortSignal;
  /** source address / interface / fwmark (mtr -a, -I, -M; a transit feed) */
  bind?: SocketBind;
}

export interface MtrHop {
  ttl: number;
  /** responders in order of first answer; [] = no answer yet (mtr's ???) */
  hosts: string[];
  /** loss percent (0..100) over probes that are no longer in flight */
  loss: number;
  sent: number;
  received: number;
  drop: number;
  /** RTT figures in seconds (mtr shows ms) */
  last: number;
  avg: number;
  best: number;
  worst: number;
  stdev: number;
  gmean: number;
  jitter: number;
  javg: number;
  jmax: number;
  jint: number;
  /** traceroute-style marks seen (!H, !N ...) */
  marks: string[];
  /** MPLS label stack of the latest answer's ICMP extension (mtr -e), [] if none */
  mpls?: MplsLabel[];
  /** recent probe results, newest last: RTT seconds or null (lost) */
  history: (number | null)[];
  /** internal figures mtr prints: loss×1000 as an integer */
  loss1000: number;
}

export interface MtrReport {
  target: string;
  address: string;
  protocol: TraceProtocol;
  packetSize: number;
  tos: number;
  cycles: number;
  /** epoch seconds of the start */
  start: number;
  reached: boolean;
  hops: MtrHop[];
  advice: string[];
}

interface Inflight {
  ttl: number;
  sent: number;
  expires: number;
}

interface HopState {
  sent: number;
  transit: number;
  stats: MtrStats;
  hosts: string[];
  marks: Set<string>;
  history: (number | null)[];
  mpls: number[];
}

const HISTORY = 200;

export class MtrSession {
  readonly r: Resolved;
  readonly opts: Required<
    Pick<
      MtrOptions,
      'intervalMs' | 'protocol' | 'maxHops' | 'firstHop' | 'timeoutMs' | 'packetSize'
    >
  > &
    MtrOptions;
  private prober: PathProber;
  private hops: HopState[] = [];
  private inflight = new Map<number, Inflight>();
  private nextKey = 1;
  private destTtl: number | undefined;
  private lastResp = 0;
  private round = 0;
  private roundStart = 0;
  private nextTtl = 0;
  private timer?: NodeJS.Timeout;
  private running = false;
  private paused = false;
  private startEpoch = Date.now() / 1000;
  private onUpdate: () => void;
  private onDone?: () => void;
  private finishing = false;

  constructor(r: Resolved, opts: MtrOptions, onUpdate: () => void = () => {}) {
    this.r = r;
    const intervalMs = opts.intervalMs ?? 1000;
    this.opts = {
      ...opts,
      intervalMs,
      protocol: opts.protocol ?? 'icmp',
      maxHops: opts.maxHops ?? 30,
      firstHop: opts.firstHop ?? 1,
      timeoutMs: opts.timeoutMs ?? Math.max(2000, 2 * intervalMs),
      packetSize: opts.packetSize ?? 64,
    };
    this.onUpdate = onUpdate;
    const hdr = (r.family === 6 ? 40 : 20) + 8;
    checkBindFamily(opts.bind, r.family, r.target);
    this.prober = new PathProber(
      {
        protocol: this.opts.protocol,
        family: r.family,
        port: opts.port,
        tos: opts.tos,
        bind: opts.bind,
        size: Math.max(12, this.opts.packetSize - hdr),
      },
      (a) => this.onAnswer(a),
    );
    this.prober.setTarget(r.address);
    this.resetStats();
  }

  /** Run `cycles` rounds (0 = forever); resolves after the last answers came in or timed out. */
  run(): Promise<MtrReport> {
    return new Promise((resolve) => {
      this.onDone = () => resolve(this.report());
      this.running = true;
      this.startEpoch = Date.now() / 1000;
      const sig = this.opts.signal;
      if (sig) {
        if (sig.aborted) {
          this.finish();
          return;
        }
        sig.addEventListener('abort', () => this.finish(), { once: true });
      }
      this.startRound();
    });
  }

  /** Stop probing; pending probes are dropped from the figures (like quitting mtr). */
  stop(): void {
    this.finish();
  }

  pause(on: boolean): void {
    this.paused = on;
    if (!on && this.running && !this.timer) this.tick();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Forget all statistics (mtr's `r` key). */
  resetStats(): void {
    this.hops = Array.from({ length: this.opts.maxHops }, () => ({
      sent: 0,
      transit: 0,
      stats: new MtrStats(),
      hosts: [],
      marks: new Set<string>(),
      history: [],
      mpls: [],
    }));
    this.inflight.clear();
    this.destTtl = undefined;
    this.lastResp = 0;
  }

  report(): MtrReport {
    const shown = this.shownHops();
    const hops: MtrHop[] = [];
    for (let ttl = this.opts.firstHop; ttl <= shown; ttl++) {
      const h = this.hops[ttl - 1];
      const s = h.stats;
      const done = h.sent - h.transit;
      const loss1000 = done === 0 ? 0 : Math.trunc(1000 * (100 - (100.0 * s.recv) / done));
      hops.push({
        ttl,
        hosts: [...h.hosts],
        loss: loss1000 / 1000,
        sent: h.sent,
        received: s.recv,
        drop: done - s.recv,
        // mtr keeps every figure as integer microseconds
        last: s.last / 1e6,
        avg: Math.trunc(s.avg) / 1e6,
        best: s.best / 1e6,
        worst: s.worst / 1e6,
        stdev: Math.trunc(s.stdev()) / 1e6,
        gmean: Math.trunc(s.gmean) / 1e6,
        jitter: s.jitter / 1e6,
        javg: Math.trunc(s.javg) / 1e6,
        jmax: s.jworst / 1e6,
        jint: s.jinta / 1e6,
        marks: [...h.marks],
        history: [...h.history],
        loss1000,
        mpls: h.mpls.map(mplsLabel),
      });
    }
    const reached =
      this.destTtl !== undefined && hops.some((h) => h.hosts.includes(this.r.address));
    const rep: MtrReport = {
      target: this.r.target,
      address: this.r.address,
      protocol: this.opts.protocol,
      packetSize: this.opts.packetSize,
      tos: this.opts.tos ?? 0,
      cycles: this.round,
      start: this.startEpoch,
      reached,
      hops,
      advice: [],
    };
    rep.advice = advise(rep);
    return rep;
  }

  /** mtr's net_max: up to the destination, else one row past the last hop that answered. */
  private shownHops(): number {
    if (this.destTtl !== undefined) return this.destTtl;
    return Math.min(this.opts.maxHops, Math.max(this.lastResp + 1, this.opts.firstHop));
  }

  private limit(): number {
    // 12 hops past the last answer, counted from the first TTL at least: with -f 29 nothing below 29 answers
    return (
      this.destTtl ??
      Math.min(this.opts.maxHops, Math.max(this.lastResp, this.opts.firstHop - 1) + 12)
    );
  }

  private startRound(): void {
    if (!this.running) return;
    if (this.opts.cycles && this.round >= this.opts.cycles) {
      this.drain();
      return;
    }
    this.round++;
    this.roundStart = performance.now();
    this.nextTtl = this.opts.firstHop;
    this.tick();
  }

  /** Send the probes that are due, expire old ones, and schedule the next wakeup. */
  private tick(): void {
    this.timer = undefined;
    if (!this.running) return;
    this.expire();
    if (this.paused) return;
    const now = performance.now();
    const span = Math.max(1, this.limit() - this.opts.firstHop + 1);
    const gap = this.opts.intervalMs / span;
    while (
      this.nextTtl <= this.limit() &&
      this.roundStart + (this.nextTtl - this.opts.firstHop) * gap <= now + 1
    ) {
      this.sendProbe(this.nextTtl++);
    }
    const roundEnd = this.roundStart + this.opts.intervalMs;
    if (this.nextTtl > this.limit() && now + 1 >= roundEnd) {
      this.startRound();
      return;
    }
    const due =
      this.nextTtl <= this.limit()
        ? this.roundStart + (this.nextTtl - this.opts.firstHop) * gap
        : roundEnd;
    // wake at most every 10 ms and send what is due then: far fewer event-loop wakeups than one
    // per probe, while each hop still gets exactly one probe per round
    this.timer = setTimeout(() => this.tick(), Math.max(10, due - performance.now()));
  }

  private sendProbe(ttl: number): void {
    const key = this.opts.protocol === 'icmp' ? this.nextKey++ & 0xffff : this.nextKey++ >>> 0;
    const sent = this.prober.send(ttl, key);
    const h = this.hops[ttl - 1];
    h.sent++;
    if (sent < 0) {
      this.record(h, null);
      return;
    }
    h.transit++;
    this.inflight.set(key, { ttl, sent, expires: sent + this.opts.timeoutMs * 1e6 });
  }

  private expire(): void {
    const now = nowNs();
    for (const [key, p] of this.inflight) {
      if (p.expires > now) break; // insertion order = expiry order
      this.inflight.delete(key);
      const h = this.hops[p.ttl - 1];
      h.transit--;
      this.record(h, null);
    }
  }

  private record(h: HopState, rtt: number | null): void {
    h.history.push(rtt);
    if (h.history.length > HISTORY) h.history.shift();
  }

  private onAnswer(a: HopAnswer): void {
    const p = this.inflight.get(a.key);
    if (!p) return; // late, duplicate or not ours
    this.inflight.delete(a.key);
    const h = this.hops[p.ttl - 1];
    h.transit--;
    const us = Math.max(0, Math.round((a.t - p.sent) / 1000));
    h.stats.add(us);
    this.record(h, us / 1e6);
    if (!h.hosts.includes(a.from)) h.hosts.push(a.from);
    if (a.mark) h.marks.add(a.mark);
    h.mpls = a.mpls ?? []; // mtr keeps the latest answer's labels per hop
    if (p.ttl > this.lastResp) this.lastResp = p.ttl;
    if (a.final && (this.destTtl === undefined || p.ttl < this.destTtl)) this.destTtl = p.ttl;
    this.onUpdate();
    if (this.finishing && this.inflight.size === 0) this.finish();
  }

  /** After the last round: wait for answers still in flight, then finish. */
  private drain(): void {
    this.finishing = true;
    if (this.inflight.size === 0) {
      this.finish();
      return;
    }
    const check = () => {
      this.expire();
      if (this.inflight.size === 0) this.finish();
      else this.timer = setTimeout(check, 20);
    };
    this.timer = setTimeout(check, 20);
  }

  private finish(): void {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    // probes still in flight are left out of loss, as mtr does
    this.prober.close();
    this.onDone?.();
  }
}

/** Library entry: run `cycles` rounds and return the report. */
export async function mtr(target: string, opts: MtrOptions = {}): Promise<MtrReport> {
  const r = await resolveTarget(target, opts.family);
  const s = new MtrSession(r, { cycles: 10, ...opts });
  return s.run();
}
