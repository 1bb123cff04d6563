/**
 * TTL-limited probes towards one destination, for traceroute and mtr. The flow stays constant
 * for the whole trace (Paris traceroute): same addresses, ports and protocol for every probe, so
 * per-flow ECMP hashing keeps all probes on one path; probes are told apart by a key that routers
 * quote back but do not hash on (ICMP sequence, UDP payload, TCP sequence number).
 */
import { openIcmp, ProbeSocket, type Family, type ProbeEvent } from './probe-socket.js';
import { traceMark } from './icmp-text.js';
import { claimEchoId, releaseEchoId } from './echo-ids.js';
import type { SocketBind } from './bind.js';

export type TraceProtocol = 'udp' | 'icmp' | 'tcp';

export interface HopAnswer {
  key: number;
  from: string;
  /** receive time, ns on the probe clock */
  t: number;
  /** the destination itself answered (echo reply, port unreachable, SYN-ACK/RST) */
  final: boolean;
  /** traceroute annotation (!H, !N, ...), '' for a normal answer */
  mark: string;
  icmpType: number;
  icmpCode: number;
  /** MPLS label stack entries the router put in an ICMP extension (RFC 4884/4950); [] if none */
  mpls?: number[];
}

export interface PathProberOptions {
  protocol: TraceProtocol;
  family: Family;
  /** destination port (UDP default 33434, TCP default 80) */
  port?: number;
  /** payload bytes for UDP/ICMP probes */
  size?: number;
  tos?: number;
  /** flow id: UDP/TCP source port or ICMP id; random when omitted (vary it to find ECMP paths) */
  flow?: number;
  /** source address / interface / fwmark (a transit feed) */
  bind?: SocketBind;
}

export class PathProber {
  readonly protocol: TraceProtocol;
  readonly family: Family;
  readonly port: number;
  readonly size: number;
  private main: ProbeSocket;
  private icmp?: ProbeSocket;
  private id: number;
  private target = '';
  private onAnswer: (a: HopAnswer) => void;
  private tos?: number;
  private claimed = false;
  private closed = false;

  constructor(o: PathProberOptions, onAnswer: (a: HopAnswer) => void) {
    this.protocol = o.protocol;
    this.family = o.family;
    this.onAnswer = onAnswer;
    this.tos = o.tos;
    this.port = o.port ?? (o.protocol === 'tcp' ? 80 : 33434);
    this.size = o.size ?? 32;
    const handler = (evs: ProbeEvent[]) => {
      for (const e of evs) this.onEvent(e);
    };
    if (o.protocol === 'icmp') {
      this.main = openIcmp(o.family, handler, 'auto', { bind: o.bind });
      // raw: an id no other session of this process holds (a chosen flow is kept as it is)
      this.id = this.main.kind === 'icmp-dgram' ? this.main.localId() : claimEchoId(o.flow);
      this.claimed = this.main.kind === 'icmp-raw';
    } else if (o.protocol === 'udp') {
      this.main = ProbeSocket.open('udp', o.family, handler, { bind: o.bind });
      this.id = this.main.localId();
    } else {
      this.main = ProbeSocket.open('tcp-raw', o.family, handler, { bind: o.bind });
      try {
        this.icmp = openIcmp(o.family, handler, 'raw', { bind: o.bind });
      } catch (e) {
        this.main.close();
        throw e;
      }
      this.id = o.flow ?? 33000 + Math.floor(Math.random() * 30000);
    }
  }

  /** The flow identifier in use (ICMP id or source port). */
  get flow(): number {
    return this.id;
  }

  setTarget(address: string): void {
    this.target = address;
  }

  /** Send one probe with this TTL; returns the send time (ns) or -errno. */
  send(ttl: number, key: number): number {
    switch (this.protocol) {
      case 'icmp':
        return this.main.sendEcho(this.target, {
          id: this.id,
          seq: key & 0xffff,
          size: this.size,
          ttl,
          tos: this.tos,
        });
      case 'udp':
        return this.main.sendUdp(this.target, {
          port: this.port,
          key,
          size: Math.max(12, this.size),
          ttl,
          tos: this.tos,
        });
      case 'tcp':
        return this.main.sendTcpSyn(this.target, {
          port: this.port,
          sport: this.id,
          seq: key,
          ttl,
          tos: this.tos,
        });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.main.close();
    this.icmp?.close();
    if (this.claimed) releaseEchoId(this.id);
  }

  private onEvent(e: ProbeEvent): void {
    const f = this.family;
    if (e.kind === 'echo') {
      if (this.protocol !== 'icmp' || e.id !== this.id || e.from !== this.target || !e.cookieOk)
        return;
      this.onAnswer({
        key: e.key,
        from: e.from,
        t: e.t,
        final: true,
        mark: '',
        icmpType: e.type,
        icmpCode: e.code,
      });
      return;
    }
    if (e.kind === 'tcp') {
      if (
        this.protocol !== 'tcp' ||
        e.from !== this.target ||
        e.sport !== this.port ||
        e.dport !== this.id
      )
        return;
      this.onAnswer({
        key: e.key,
        from: e.from,
        t: e.t,
        final: true,
        mark: '',
        icmpType: -1,
        icmpCode: -1,
      });
      return;
    }
    // ICMP error quoting one of our probes
    if (e.innerDst !== this.target || e.type < 0) return;
    if (this.protocol === 'icmp') {
      if (e.innerProto !== (f === 6 ? 58 : 1) || e.id !== this.id) return;
    } else if (this.protocol === 'udp') {
      if (e.innerProto !== 17 || e.innerDport !== this.port || !e.cookieOk) return;
    } else if (e.innerProto !== 6 || e.innerSport !== this.id || e.innerDport !== this.port) return;
    const mark = traceMark(f, e.type, e.code);
    const unreach = f === 4 ? e.type === 3 : e.type === 1;
    // port unreachable from the destination is the normal end of a UDP trace
    const final = unreach && (mark === '' ? e.from === this.target : true);
    this.onAnswer({
      key: e.key,
      from: e.from,
      t: e.t,
      final,
      mark,
      icmpType: e.type,
      icmpCode: e.code,
      mpls: e.mpls,
    });
  }
}
