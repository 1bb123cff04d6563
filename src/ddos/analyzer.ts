/**
 * Per-packet decoding (link layer -> IPv4/IPv6 -> UDP) and aggregation for reflection-attack
 * detection. Everything lives in KeyTables with typed-array counters; the hot path allocates
 * nothing. A "vector" is (victim address, reflector protocol); a "pair" is (victim, reflector
 * address, protocol); a flow is a bidirectional UDP conversation as `tshark -z conv,udp` counts it.
 */
import type { PacketSink } from './capture-reader.js';
import { KeyTable } from './key-table.js';
import { REFLECTORS, portTable, type Reflector } from './protocols.js';
import { formatWords } from './addr.js';

// flow (conversation) fields
const F_FAB = 0, F_BAB = 1, F_FBA = 2, F_BBA = 3, F_FIRST = 4, F_LAST = 5, F_REV = 6;
const F_AMP = 7; // 3 cached ids (+1) per direction: vector, victim, pair; AB at 7..9, BA at 10..12
const FN = 13;
// vector / victim fields (same layout)
export const V_PKTS = 0, V_BYTES = 1, V_FIRST = 2, V_LAST = 3, V_CS = 4, V_CP = 5, V_CB = 6,
  V_PP = 7, V_PB = 8, V_PSEC = 9, V_REFL = 10, V_MONLIST = 11, V_ALERTED = 12;
const VN = 13;
export const P_PKTS = 0, P_BYTES = 1;
const PN = 2;

export interface AlertEvent {
  type: 'attack';
  victim: string;
  protocol: string;
  port: number;
  /** Capture time (epoch seconds) of the packet that crossed the thresholds. */
  at: number;
  /** Packets and bytes in the current one-second bucket when the alert fired. */
  pps: number;
  bps: number;
  reflectors: number;
  monlistPackets: number;
}

/** A vector that alerted has been silent for `quietAfter` seconds of capture time. */
export interface AttackEndEvent {
  type: 'end';
  victim: string;
  protocol: string;
  port: number;
  start: number;
  /** Time of its last packet. */
  end: number;
  packets: number;
  bytes: number;
  reflectors: number;
  peakPps: number;
  peakBps: number;
  monlistPackets: number;
}

export type WatchEvent = AlertEvent | AttackEndEvent;

export interface Thresholds {
  /** Peak packets per second (one-second buckets) a vector must reach. */
  minPps: number;
  /** Distinct reflector addresses a vector must have. */
  minReflectors: number;
  /** Total frame bytes a vector must have. */
  minBytes: number;
}

export class Analyzer implements PacketSink {
  frames = 0; bytes = 0; ipv4 = 0; ipv6 = 0; nonIp = 0; otherIp = 0; short = 0; malformed = 0;
  udpFrames = 0; udpBytes = 0; fragments = 0; orphanFragments = 0; unsupportedLink = 0;
  first = Infinity; last = -Infinity;

  readonly flows = new KeyTable(9, FN, 4096);
  readonly vectors = new KeyTable(5, VN, 256);
  readonly victims = new KeyTable(4, VN, 256);
  readonly pairs = new KeyTable(9, PN, 1024);
  private readonly frags = new KeyTable(9, 2, 256);
  /** src words 0..3, dst words 4..7 of the current packet. */
  private readonly a = new Uint32Array(8);
  private readonly ports: Uint8Array;
  private readonly ntpIdx: number;
  /** Vectors that alerted and have not been reported as ended. */
  private open: number[] = [];
  private lastCheck = 0;

  /** UDP packets of conversations not tracked because the table was full (maxConversations). */
  untrackedPackets = 0;
  // ids resolved by resolve()
  private rVec = 0; private rVic = 0; private rPair = 0;

  constructor(readonly reflectors: readonly Reflector[] = REFLECTORS, readonly thresholds: Thresholds,
    private readonly onAlert?: (e: WatchEvent) => void, private readonly quietAfter = 10,
    /** Bound on tracked conversations (memory: about 150 bytes each); attacks are still found past it. */
    private readonly maxConversations = 4_000_000) {
    this.ports = portTable(reflectors);
    this.ntpIdx = this.ports[123];
  }

  packet(buf: Buffer, off: number, caplen: number, origlen: number, ts: number, linktype: number): void {
    this.frames++;
    this.bytes += origlen;
    if (ts < this.first) this.first = ts;
    if (ts > this.last) {
      this.last = ts;
      if (this.open.length !== 0 && ts - this.lastCheck >= 1) this.checkEnded(ts);
    }
    let o = off;
    const end = off + caplen;
    let et = -1, ver = 0;
    switch (linktype) {
      case 1: { // Ethernet, with 802.1Q / QinQ tags
        if (caplen < 14) { this.short++; return; }
        et = (buf[o + 12] << 8) | buf[o + 13];
        o += 14;
        for (let tags = 0; (et === 0x8100 || et === 0x88a8 || et === 0x9100) && tags < 4; tags++) {
          if (end - o < 4) { this.short++; return; }
          et = (buf[o + 2] << 8) | buf[o + 3];
          o += 4;
        }
        break;
      }
      case 113: // Linux cooked v1
        if (caplen < 16) { this.short++; return; }
        et = (buf[o + 14] << 8) | buf[o + 15];
        o += 16;
        break;
      case 276: // Linux cooked v2
        if (caplen < 20) { this.short++; return; }
        et = (buf[o] << 8) | buf[o + 1];
        o += 20;
        break;
      case 0: case 108: { // BSD loopback: AF in host order (0) or network order (108)
        if (caplen < 4) { this.short++; return; }
        const fam = linktype === 108 || (buf[o] === 0 && buf[o + 1] === 0)
          ? ((buf[o + 2] << 8) | buf[o + 3]) : (buf[o] | (buf[o + 1] << 8));
        o += 4;
        ver = fam === 2 ? 4 : fam === 24 || fam === 28 || fam === 30 || fam === 10 ? 6 : 0;
        if (ver === 0) { this.nonIp++; return; }
        break;
      }
      case 101: case 12: case 14: // raw IP
        if (caplen < 1) { this.short++; return; }
        ver = buf[o] >> 4;
        break;
      case 228: ver = 4; break;
      case 229: ver = 6; break;
      default:
        this.unsupportedLink++;
        return;
    }
    if (et >= 0) {
      if (et === 0x0800) ver = 4;
      else if (et === 0x86dd) ver = 6;
      else { this.nonIp++; return; }
    }
    const a = this.a;
    let frag = 0; // 0 none, 1 first fragment, 2 later fragment
    let fragId = 0;
    if (ver === 4) {
      if (end - o < 20) { this.short++; return; }
      const vihl = buf[o];
      const ihl = (vihl & 15) << 2;
      if (vihl >> 4 !== 4 || ihl < 20) { this.malformed++; return; }
      this.ipv4++;
      const fw = (buf[o + 6] << 8) | buf[o + 7];
      a[0] = 0; a[1] = 0; a[2] = 0xffff;
      a[3] = ((buf[o + 12] << 24) | (buf[o + 13] << 16) | (buf[o + 14] << 8) | buf[o + 15]) >>> 0;
      a[4] = 0; a[5] = 0; a[6] = 0xffff;
      a[7] = ((buf[o + 16] << 24) | (buf[o + 17] << 16) | (buf[o + 18] << 8) | buf[o + 19]) >>> 0;
      if (buf[o + 9] !== 17) { this.otherIp++; return; }
      if ((fw & 0x3fff) !== 0) {
        this.fragments++;
        fragId = (buf[o + 4] << 8) | buf[o + 5];
        if ((fw & 0x1fff) !== 0) { this.laterFragment(fragId, origlen, ts); return; }
        frag = 1;
      }
      o += ihl;
    } else if (ver === 6) {
      if (end - o < 40) { this.short++; return; }
      if (buf[o] >> 4 !== 6) { this.malformed++; return; }
      this.ipv6++;
      let nh = buf[o + 6];
      for (let i = 0; i < 4; i++) {
        const s = o + 8 + i * 4, d = o + 24 + i * 4;
        a[i] = ((buf[s] << 24) | (buf[s + 1] << 16) | (buf[s + 2] << 8) | buf[s + 3]) >>> 0;
        a[4 + i] = ((buf[d] << 24) | (buf[d + 1] << 16) | (buf[d + 2] << 8) | buf[d + 3]) >>> 0;
      }
      o += 40;
      for (let hops = 0; nh !== 17 && hops < 8; hops++) {
        if (end - o < 8) { this.short++; return; }
        if (nh === 0 || nh === 43 || nh === 60) { const n = buf[o]; o += (buf[o + 1] + 1) * 8; nh = n; }
        else if (nh === 51) { const n = buf[o]; o += (buf[o + 1] + 2) * 4; nh = n; }
        else if (nh === 44) {
          this.fragments++;
          const fo = ((buf[o + 2] << 8) | buf[o + 3]) >> 3;
          fragId = ((buf[o + 4] << 24) | (buf[o + 5] << 16) | (buf[o + 6] << 8) | buf[o + 7]) >>> 0;
          if (fo !== 0) { this.laterFragment(fragId, origlen, ts); return; }
          frag = 1;
          nh = buf[o];
          o += 8;
        } else break;
      }
      if (nh !== 17) { this.otherIp++; return; }
    } else { this.malformed++; return; }
    if (end - o < 8) { this.short++; return; }
    const sport = (buf[o] << 8) | buf[o + 1];
    const dport = (buf[o + 2] << 8) | buf[o + 3];
    this.udpFrames++;
    this.udpBytes += origlen;

    // conversation, normalised so that (addr, port) A <= B
    const flows = this.flows, k = flows.key;
    let rev = false;
    for (let i = 0; i < 4; i++) {
      if (a[i] !== a[4 + i]) { rev = a[i] > a[4 + i]; break; }
      if (i === 3) rev = sport > dport;
    }
    if (!rev) { k[0] = a[0]; k[1] = a[1]; k[2] = a[2]; k[3] = a[3]; k[4] = a[4]; k[5] = a[5]; k[6] = a[6]; k[7] = a[7]; k[8] = ((sport << 16) | dport) >>> 0; }
    else { k[0] = a[4]; k[1] = a[5]; k[2] = a[6]; k[3] = a[7]; k[4] = a[0]; k[5] = a[1]; k[6] = a[2]; k[7] = a[3]; k[8] = ((dport << 16) | sport) >>> 0; }
    const id = flows.size < this.maxConversations ? flows.upsert() : flows.find();
    if (id < 0) { this.untracked(buf, o, end, sport, origlen, ts); return; }
    const fv = flows.vals, fb = id * FN;
    if (flows.created) { fv[fb + F_FIRST] = ts; fv[fb + F_REV] = rev ? 1 : 0; }
    if (ts > fv[fb + F_LAST]) fv[fb + F_LAST] = ts;
    if (!rev) { fv[fb + F_FAB]++; fv[fb + F_BAB] += origlen; } else { fv[fb + F_FBA]++; fv[fb + F_BBA] += origlen; }
    if (frag === 1 && this.frags.size < this.maxConversations) {
      const fk = this.frags.key;
      fk[0] = a[0]; fk[1] = a[1]; fk[2] = a[2]; fk[3] = a[3]; fk[4] = a[4]; fk[5] = a[5]; fk[6] = a[6]; fk[7] = a[7]; fk[8] = fragId;
      const fid = this.frags.upsert();
      this.frags.vals[fid * 2] = id + 1;
      this.frags.vals[fid * 2 + 1] = rev ? 1 : 0;
    }
    const proto = this.ports[sport];
    if (proto === 0) return;
    this.amp(id, rev, proto, origlen, ts, this.monlist(buf, o, end, proto));
  }

  /** 1 for an NTP mode 7 response (R bit) to MON_GETLIST_1 (42) or MON_GETLIST (20); o = UDP header. */
  private monlist(buf: Buffer, o: number, end: number, proto: number): number {
    if (proto !== this.ntpIdx || end - o < 12) return 0;
    const b0 = buf[o + 8], code = buf[o + 11];
    return (b0 & 0x87) === 0x87 && (code === 42 || code === 20) ? 1 : 0;
  }

  /** Past maxConversations: no conversation entry, but reflection traffic is still counted. */
  private untracked(buf: Buffer, o: number, end: number, sport: number, origlen: number, ts: number): void {
    this.untrackedPackets++;
    const proto = this.ports[sport];
    if (proto === 0) return;
    this.resolve(proto, ts);
    this.hit(this.rVec, this.rVic, this.rPair, origlen, ts, this.monlist(buf, o, end, proto));
  }

  /** Vector, victim and pair ids of the current packet (dst = victim, src = reflector). */
  private resolve(proto: number, ts: number): void {
    const a = this.a;
    const vk = this.vectors.key;
    vk[0] = a[4]; vk[1] = a[5]; vk[2] = a[6]; vk[3] = a[7]; vk[4] = proto;
    const vec = this.vectors.upsert();
    if (this.vectors.created) this.init(this.vectors.vals, vec * VN, ts);
    const ck = this.victims.key;
    ck[0] = a[4]; ck[1] = a[5]; ck[2] = a[6]; ck[3] = a[7];
    const vic = this.victims.upsert();
    if (this.victims.created) this.init(this.victims.vals, vic * VN, ts);
    const pk = this.pairs.key;
    pk[0] = a[4]; pk[1] = a[5]; pk[2] = a[6]; pk[3] = a[7]; pk[4] = a[0]; pk[5] = a[1]; pk[6] = a[2]; pk[7] = a[3]; pk[8] = proto;
    const pair = this.pairs.upsert();
    if (this.pairs.created) this.vectors.vals[vec * VN + V_REFL]++;
    this.rVec = vec; this.rVic = vic; this.rPair = pair;
  }

  /** A non-first fragment: counted with the flow of its first fragment when that was seen. */
  private laterFragment(fragId: number, origlen: number, ts: number): void {
    const a = this.a, fk = this.frags.key;
    fk[0] = a[0]; fk[1] = a[1]; fk[2] = a[2]; fk[3] = a[3]; fk[4] = a[4]; fk[5] = a[5]; fk[6] = a[6]; fk[7] = a[7]; fk[8] = fragId;
    const fid = this.frags.find();
    if (fid < 0) { this.orphanFragments++; return; }
    const id = this.frags.vals[fid * 2] - 1;
    const rev = this.frags.vals[fid * 2 + 1] === 1;
    this.udpFrames++;
    this.udpBytes += origlen;
    const fv = this.flows.vals, fb = id * FN;
    if (ts > fv[fb + F_LAST]) fv[fb + F_LAST] = ts;
    if (!rev) { fv[fb + F_FAB]++; fv[fb + F_BAB] += origlen; } else { fv[fb + F_FBA]++; fv[fb + F_BBA] += origlen; }
    const c = fb + (rev ? F_AMP + 3 : F_AMP);
    if (fv[c] !== 0) this.hit(fv[c] - 1, fv[c + 1] - 1, fv[c + 2] - 1, origlen, ts, 0);
  }

  /** UDP from an amplifier port: the sender is a reflector, the receiver a possible victim. */
  private amp(flowId: number, rev: boolean, proto: number, origlen: number, ts: number, monlist: number): void {
    const fb = flowId * FN + (rev ? F_AMP + 3 : F_AMP);
    let fv = this.flows.vals;
    if (fv[fb] === 0) {
      this.resolve(proto, ts);
      fv = this.flows.vals;
      fv[fb] = this.rVec + 1; fv[fb + 1] = this.rVic + 1; fv[fb + 2] = this.rPair + 1;
    }
    this.hit(fv[fb] - 1, fv[fb + 1] - 1, fv[fb + 2] - 1, origlen, ts, monlist);
  }

  private init(v: Float64Array, b: number, ts: number): void {
    v[b + V_FIRST] = ts; v[b + V_LAST] = ts; v[b + V_CS] = Math.floor(ts);
  }

  private hit(vec: number, vic: number, pair: number, len: number, ts: number, monlist: number): void {
    const sec = Math.floor(ts);
    const pv = this.pairs.vals;
    pv[pair * PN + P_PKTS]++;
    pv[pair * PN + P_BYTES] += len;
    bump(this.victims.vals, vic * VN, sec, ts, len);
    const v = this.vectors.vals, b = vec * VN;
    bump(v, b, sec, ts, len);
    v[b + V_MONLIST] += monlist;
    if (this.onAlert !== undefined && v[b + V_ALERTED] === 0 && v[b + V_CP] >= this.thresholds.minPps
      && v[b + V_REFL] >= this.thresholds.minReflectors && v[b + V_BYTES] >= this.thresholds.minBytes) {
      v[b + V_ALERTED] = 1;
      this.open.push(vec);
      this.alert(vec, ts);
    }
  }

  private alert(vec: number, ts: number): void {
    const v = this.vectors.vals, b = vec * VN;
    const r = this.reflectors[this.vectors.keys[vec * 5 + 4] - 1];
    this.onAlert!({
      type: 'attack', victim: formatWords(this.vectors.keys, vec * 5), protocol: r.name, port: r.port, at: ts,
      pps: v[b + V_CP], bps: v[b + V_CB] * 8, reflectors: v[b + V_REFL], monlistPackets: v[b + V_MONLIST],
    });
  }

  private checkEnded(ts: number): void {
    this.lastCheck = ts;
    const v = this.vectors.vals;
    const still: number[] = [];
    for (const vec of this.open) {
      const b = vec * VN;
      if (ts - v[b + V_LAST] < this.quietAfter) { still.push(vec); continue; }
      closeBucket(v, b);
      v[b + V_CP] = 0; v[b + V_CB] = 0;
      const r = this.reflectors[this.vectors.keys[vec * 5 + 4] - 1];
      this.onAlert!({
        type: 'end', victim: formatWords(this.vectors.keys, vec * 5), protocol: r.name, port: r.port, start: v[b + V_FIRST], end: v[b + V_LAST],
        packets: v[b + V_PKTS], bytes: v[b + V_BYTES], reflectors: v[b + V_REFL], peakPps: v[b + V_PP], peakBps: v[b + V_PB] * 8,
        monlistPackets: v[b + V_MONLIST],
      });
      v[b + V_ALERTED] = 0; // a new burst alerts again
    }
    this.open = still;
  }

  /** Close the open one-second buckets so peaks are final. */
  finish(): void {
    for (const t of [this.vectors, this.victims]) {
      const v = t.vals;
      for (let i = 0; i < t.size; i++) closeBucket(v, i * VN);
    }
  }

  static readonly FN = FN;
  static readonly VN = VN;
  static readonly PN = PN;
}

function bump(v: Float64Array, b: number, sec: number, ts: number, len: number): void {
  v[b + V_PKTS]++;
  v[b + V_BYTES] += len;
  if (ts > v[b + V_LAST]) v[b + V_LAST] = ts;
  if (ts < v[b + V_FIRST]) v[b + V_FIRST] = ts;
  if (sec > v[b + V_CS]) { closeBucket(v, b); v[b + V_CS] = sec; v[b + V_CP] = 0; v[b + V_CB] = 0; }
  v[b + V_CP]++;
  v[b + V_CB] += len;
}

function closeBucket(v: Float64Array, b: number): void {
  if (v[b + V_CP] > v[b + V_PP]) { v[b + V_PP] = v[b + V_CP]; v[b + V_PSEC] = v[b + V_CS]; }
  if (v[b + V_CB] > v[b + V_PB]) v[b + V_PB] = v[b + V_CB];
}


export const FLOW = { F_FAB, F_BAB, F_FBA, F_BBA, F_FIRST, F_LAST, F_REV };
