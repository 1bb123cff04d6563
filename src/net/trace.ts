/**
 * traceroute: q probes per TTL, up to `parallel` probes in flight, each waiting at most `timeoutMs`
 * (less once its hop or a later hop answered: traceroute's -w MAX,HERE,NEAR rule). Stops after the
 * hop where the destination answered or every answered probe carried an unreachable mark.
 */
import { mplsLabel, type MplsLabel } from './mpls.js';
import { PathProber, type HopAnswer, type TraceProtocol } from './path-prober.js';
import { resolveTarget } from './resolve.js';
import { nowNs as probeNow, type Family } from './probe-socket.js';
import { checkBindFamily, type SocketBind } from './bind.js';

export interface TraceOptions {
  maxHops?: number;
  firstHop?: number;
  probesPerHop?: number;
  protocol?: TraceProtocol;
  timeoutMs?: number;
  /** wait factors of traceroute's -w MAX,HERE,NEAR */
  here?: number;
  near?: number;
  port?: number;
  family?: Family;
  /** probes in flight at once (traceroute -N, default 16) */
  parallel?: number;
  /** total packet length as traceroute counts it (IP header included) */
  packetLen?: number;
  tos?: number;
  signal?: AbortSignal;
  /** called when a hop is complete, in TTL order */
  onHop?: (hop: TraceHop) => void;
  /** fixed flow id (source port / ICMP id); ECMP discovery varies it */
  flow?: number;
  /** source address / interface / fwmark (traceroute -s, -i, --fwmark; a transit feed) */
  bind?: SocketBind;
}

export interface TraceProbe {
  address: string | null;
  /** seconds, null = no answer */
  rtt: number | null;
  mark?: string;
  /** MPLS label stack of an ICMP extension in the answer (traceroute -e) */
  mpls?: MplsLabel[];
}

export interface TraceHop {
  ttl: number;
  probes: TraceProbe[];
}

export interface TraceResult {
  target: string;
  address: string;
  protocol: TraceProtocol;
  maxHops: number;
  packetLen: number;
  /** the flow identifier kept for the whole trace */
  flow: number;
  hops: TraceHop[];
  /** the destination answered */
  reached: boolean;
}

interface P {
  ttl: number;
  idx: number;
  key: number;
  sent: number;
  expires: number;
  done: boolean;
  res: TraceProbe;
}

export function defaultPacketLen(family: Family): number {
  return family === 6 ? 80 : 60;
}

export async function trace(target: string, opts: TraceOptions = {}): Promise<TraceResult> {
  const r = await resolveTarget(target, opts.family);
  const protocol = opts.protocol ?? 'udp';
  const maxHops = opts.maxHops ?? 30;
  const q = opts.probesPerHop ?? 3;
  const first = opts.firstHop ?? 1;
  const maxWaitNs = (opts.timeoutMs ?? 5000) * 1e6;
  const here = opts.here ?? 3;
  const near = opts.near ?? 10;
  const parallel = opts.parallel ?? 16;
  const hdr = (r.family === 6 ? 40 : 20) + 8;
  const packetLen = opts.packetLen ?? defaultPacketLen(r.family);
  const size = Math.max(12, packetLen - hdr);
  const probes: P[] = [];
  const byKey = new Map<number, P>();
  // random start so two traces never share keys; stays below 2^16 for ICMP sequences (255 hops x 10 probes)
  const keyBase = 1 + Math.floor(Math.random() * 900) * 64;

  return new Promise<TraceResult>((resolve, reject) => {
    let prober: PathProber;
    let stopTtl = maxHops; // lowered when a final answer arrives
    let printed = first - 1;
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    const hops: TraceHop[] = [];

    const onAnswer = (a: HopAnswer) => {
      const p = byKey.get(a.key);
      if (!p || p.done) return;
      p.done = true;
      p.res = {
        address: a.from,
        rtt: (a.t - p.sent) / 1e9,
        ...(a.mark ? { mark: a.mark } : {}),
        ...(a.mpls?.length ? { mpls: a.mpls.map(mplsLabel) } : {}),
      };
      if (a.final && p.ttl < stopTtl) stopTtl = p.ttl;
      // HERE/NEAR: shorten the wait of unanswered probes at this hop and earlier hops
      const rttNs = a.t - p.sent;
      for (const o of probes) {
        if (o.done) continue;
        if (o.ttl === p.ttl && here > 0) o.expires = Math.min(o.expires, o.sent + here * rttNs);
        else if (o.ttl < p.ttl && near > 0) o.expires = Math.min(o.expires, o.sent + near * rttNs);
      }
      step(false);
    };

    try {
      checkBindFamily(opts.bind, r.family, r.target);
      prober = new PathProber(
        {
          protocol,
          family: r.family,
          port: opts.port,
          size,
          tos: opts.tos,
          flow: opts.flow,
          bind: opts.bind,
        },
        onAnswer,
      );
    } catch (e) {
      reject(e);
      return;
    }
    prober.setTarget(r.address);

    const end = () => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', end);
      prober.close();
      resolve({
        target: r.target,
        address: r.address,
        protocol,
        maxHops,
        packetLen: protocol === 'tcp' ? hdr - 8 + 24 : packetLen,
        flow: prober.flow,
        hops,
        reached: hops.some((h) => h.probes.some((pp) => pp.address === r.address && !pp.mark)),
      });
    };

    // expiry runs only from the timer, after a setImmediate: the poll phase first reads answers
    // that are already queued, so a late timer never discards a reply that did arrive in time
    const step = (expire: boolean) => {
      if (finished) return;
      if (expire) {
        const now = probeNow();
        for (const p of probes) if (!p.done && now >= p.expires) p.done = true;
      }
      // print completed hops in order
      while (printed < Math.min(stopTtl, maxHops)) {
        const ttl = printed + 1;
        const hp = probes.filter((p) => p.ttl === ttl);
        if (hp.length < q || hp.some((p) => !p.done)) break;
        const hop = { ttl, probes: hp.map((p) => p.res) };
        hops.push(hop);
        opts.onHop?.(hop);
        printed = ttl;
        // all answers unreachable-marked ends the trace (traceroute does the same)
        const answered = hop.probes.filter((x) => x.address);
        if (answered.length && answered.every((x) => x.mark)) stopTtl = Math.min(stopTtl, ttl);
      }
      if (printed >= Math.min(stopTtl, maxHops)) {
        end();
        return;
      }
      // send more while below the in-flight limit
      let inflight = probes.filter((p) => !p.done).length;
      while (inflight < parallel && probes.length < (maxHops - first + 1) * q) {
        const idx = probes.length;
        const ttl = first + Math.floor(idx / q);
        if (ttl > stopTtl) break;
        const key = keyBase + idx;
        const sent = prober.send(ttl, key);
        const p: P = {
          ttl,
          idx,
          key,
          sent: sent < 0 ? probeNow() : sent,
          expires: 0,
          done: false,
          res: { address: null, rtt: null },
        };
        p.expires = p.sent + maxWaitNs;
        if (sent < 0) {
          p.done = true;
          p.res = { address: null, rtt: null, mark: '!<send>' };
        }
        probes.push(p);
        byKey.set(key, p);
        inflight++;
      }
      // wake at the earliest expiry
      let next = Infinity;
      for (const p of probes) if (!p.done && p.expires < next) next = p.expires;
      if (timer) clearTimeout(timer);
      timer =
        next === Infinity
          ? undefined
          : setTimeout(() => setImmediate(step, true), Math.max(1, (next - probeNow()) / 1e6));
    };

    if (opts.signal) {
      if (opts.signal.aborted) {
        end();
        return;
      }
      opts.signal.addEventListener('abort', end, { once: true });
    }
    step(false);
  });
}
