/**
 * ICMP echo engine: one socket per address family shared by every target (fping style), probes
 * matched back by (source address, echo id, sequence, payload cookie). Anything that does not
 * match is counted as foreign and never reaches a target.
 */
import {
  openIcmp,
  type Family,
  type ProbeEvent,
  type ProbeOpenOptions,
  type ProbeSocket,
} from './probe-socket.js';
import { claimEchoId, releaseEchoId } from './echo-ids.js';

export interface EchoProbe {
  seq: number;
  /** send time, ns on the probe clock */
  sent: number;
  /** receive time of the first valid reply, ns; undefined while outstanding */
  recv?: number;
  /** replies after the first (duplicates) */
  dups: number;
  /** reply arrives after this time (ns) = late, not counted */
  deadline: number;
}

export type EchoOutcome =
  | { kind: 'reply'; probe: EchoProbe; ev: ProbeEvent; dup: boolean }
  | { kind: 'late'; probe: EchoProbe; ev: ProbeEvent }
  | { kind: 'truncated'; probe: EchoProbe; ev: ProbeEvent }
  | { kind: 'corrupted'; probe: EchoProbe; ev: ProbeEvent }
  | { kind: 'error'; seq: number; probe?: EchoProbe; ev: ProbeEvent };

export interface EchoTarget {
  readonly address: string;
  readonly size: number;
  onOutcome: (o: EchoOutcome) => void;
}

/** Counters of packets that were not ours (hostile or another program's). */
export interface ForeignCounts {
  wrongSource: number;
  foreignId: number;
  badCookie: number;
  unknownSeq: number;
}

interface TargetState {
  t: EchoTarget;
  probes: Map<number, EchoProbe>;
}

export class EchoEngine {
  readonly family: Family;
  readonly foreign: ForeignCounts = { wrongSource: 0, foreignId: 0, badCookie: 0, unknownSeq: 0 };
  private sock: ProbeSocket;
  private id: number;
  private targets = new Map<string, TargetState>();
  private tx = new Map<number, EchoProbe>();
  private nextTag = 1;
  private closed = false;

  /** txTimestamps: take send times from the kernel (one more message per probe; see ProbeSocket); bind: source/interface/fwmark. */
  constructor(
    family: Family,
    mode: 'auto' | 'raw' | 'dgram' = 'auto',
    opts: ProbeOpenOptions = {},
  ) {
    this.family = family;
    this.sock = openIcmp(family, (evs) => this.onEvents(evs), mode, opts);
    // raw: an id no other session of this process holds (see echo-ids.ts); dgram: the kernel's
    this.id = this.sock.kind === 'icmp-dgram' ? this.sock.localId() : claimEchoId();
  }

  /** The echo id of our requests. */
  get echoId(): number {
    return this.id;
  }

  get socketKind(): string {
    return this.sock.kind;
  }

  add(t: EchoTarget): void {
    this.targets.set(t.address, { t, probes: new Map() });
  }

  remove(address: string): void {
    this.targets.delete(address);
  }

  /** Send one echo request; returns the probe or a negative errno from sendto. */
  send(
    address: string,
    seq: number,
    o: { ttl?: number; tos?: number; timeoutNs: number },
  ): EchoProbe | number {
    const st = this.targets.get(address);
    if (!st) throw new Error(`echo target ${address} was not added`);
    const s = seq & 0xffff;
    const tag = this.nextTag++ >>> 0;
    const sent = this.sock.sendEcho(address, {
      id: this.id,
      seq: s,
      size: st.t.size,
      ttl: o.ttl,
      tos: o.tos,
      tag,
    });
    if (sent < 0) return sent;
    const probe: EchoProbe = { seq: s, sent, dups: 0, deadline: sent + o.timeoutNs };
    st.probes.set(s, probe);
    this.tx.set(tag, probe);
    if (this.tx.size > 4096) this.tx.delete(tag - 4096);
    return probe;
  }

  /** Forget a probe (after its target finished with it), so a late reply finds nothing. */
  forget(address: string, seq: number): void {
    this.targets.get(address)?.probes.delete(seq & 0xffff);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
    if (this.sock.kind === 'icmp-raw') releaseEchoId(this.id);
  }

  unref(): void {
    this.sock.unref();
  }

  private onEvents(evs: ProbeEvent[]): void {
    for (const ev of evs) {
      if (ev.kind === 'echo') this.onEcho(ev);
      else if (ev.kind === 'error') this.onError(ev);
      else if (ev.kind === 'tx') this.onTx(ev);
    }
  }

  /** The kernel's send time replaces ours when it is plausible (after ours, within 10 ms). */
  private onTx(ev: ProbeEvent): void {
    const p = this.tx.get(ev.key);
    if (!p) return;
    this.tx.delete(ev.key);
    if (p.recv === undefined && ev.t >= p.sent && ev.t - p.sent < 1e7) {
      p.deadline += ev.t - p.sent;
      p.sent = ev.t;
    }
  }

  private onEcho(ev: ProbeEvent): void {
    if (ev.id !== this.id) {
      this.foreign.foreignId++;
      return;
    }
    const st = this.targets.get(ev.from);
    if (!st) {
      this.foreign.wrongSource++;
      return;
    }
    const probe = st.probes.get(ev.key);
    if (!probe) {
      this.foreign.unknownSeq++;
      return;
    }
    if (ev.errno === -1) {
      st.t.onOutcome({ kind: 'corrupted', probe, ev });
      return;
    }
    // a payload too short to carry the cookie can only be checked by length
    if (st.t.size >= 8 && !ev.cookieOk && ev.len >= 16) {
      this.foreign.badCookie++;
      return;
    }
    if (ev.len < 8 + st.t.size) {
      st.t.onOutcome({ kind: 'truncated', probe, ev });
      return;
    }
    if (probe.recv !== undefined) {
      probe.dups++;
      st.t.onOutcome({ kind: 'reply', probe, ev, dup: true });
      return;
    }
    if (ev.t > probe.deadline) {
      st.t.onOutcome({ kind: 'late', probe, ev });
      return;
    }
    probe.recv = ev.t;
    st.t.onOutcome({ kind: 'reply', probe, ev, dup: false });
  }

  private onError(ev: ProbeEvent): void {
    const icmp = this.family === 6 ? 58 : 1;
    if (ev.innerProto !== icmp || ev.id !== this.id) {
      this.foreign.foreignId++;
      return;
    }
    const st = this.targets.get(ev.innerDst);
    if (!st) {
      this.foreign.wrongSource++;
      return;
    }
    const probe = st.probes.get(ev.key);
    if (!probe) {
      this.foreign.unknownSeq++;
      return;
    }
    st.t.onOutcome({ kind: 'error', seq: ev.key, probe, ev });
  }
}
