/**
 * Per-packet decoding (link layer -> IPv4/IPv6 -> UDP) and aggregation for reflection-attack
 * detection. Everything lives in KeyTables with typed-array counters; the hot path allocates
 * nothing. A "vector" is (victim address, reflector protocol); a "pair" is (victim, reflector
 * address, protocol); a flow is a bidirectional UDP conversation as `tshark -z conv,udp` counts it.
 */
import type { PacketSink } from './capture-reader.js';
import { KeyTable } from './key-table.js';
import { REFLECTORS, portTable, type Reflector } from './protocols.js';
import { formatWords } from '../lib/ip.js';

// flow (conversation) fields
const F_FAB = 0,
  F_BAB = 1,
  F_FBA = 2,
  F_BBA = 3,
  F_FIRST = 4,
  F_LAST = 5,
  F_REV = 6;
const F_AMP = 7; // 3 cached ids (+1) per direction: vector, victim, pair; AB at 7..9, BA at 10..12
const FN = 13;
/** Encapsulations decoded on the way to the UDP inside; tunnels (IP outer headers) are listed with their addresses. */
export const ENCAPSULATIONS = [
  'gre',
  'erspan-1',
  'erspan-2',
  'erspan-3',
  'ipip',
  '6in4',
  '4in6',
  '6in6',
  'vxlan',
  'geneve',
  'mpls',
  'pppoe',
  'ppp',
  'nflog',
] as const;
const E_GRE = 0,
  E_ERSPAN1 = 1,
  E_ERSPAN2 = 2,
  E_ERSPAN3 = 3,
  E_IPIP = 4,
  E_6IN4 = 5,
  E_4IN6 = 6,
  E_6IN6 = 7,
  E_VXLAN = 8,
  E_GENEVE = 9,
  E_MPLS = 10,
  E_PPPOE = 11,
  E_PPP = 12,
  E_NFLOG = 13;
/** Tunnels inside tunnels are followed this deep. */
const MAX_DEPTH = 4;
// vector / victim fields (same layout)
export const V_PKTS = 0,
  V_BYTES = 1,
  V_FIRST = 2,
  V_LAST = 3,
  V_CS = 4,
  V_CP = 5,
  V_CB = 6,
  V_PP = 7,
  V_PB = 8,
  V_PSEC = 9,
  V_REFL = 10,
  V_MONLIST = 11,
  V_ALERTED = 12;
const VN = 13;
export const P_PKTS = 0,
  P_BYTES = 1;
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
  frames = 0;
  bytes = 0;
  ipv4 = 0;
  ipv6 = 0;
  nonIp = 0;
  otherIp = 0;
  short = 0;
  malformed = 0;
  udpFrames = 0;
  udpBytes = 0;
  fragments = 0;
  orphanFragments = 0;
  unsupportedLink = 0;
  first = Infinity;
  last = -Infinity;

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

  /** Frames per encapsulation layer crossed (ENCAPSULATIONS order). */
  readonly encap = new Float64Array(ENCAPSULATIONS.length);
  /** IP tunnels: outer source words 0..3, destination 4..7, kind; frames and bytes. */
  readonly tunnels = new KeyTable(9, 2, 64);
  // decoder cursor: start and end of the layer found by ether(), gre(), nflog(), ...
  private cur = 0;
  private lim = 0;
  private cRev = false;

  /** UDP packets of conversations not tracked because the table was full (maxConversations). */
  untrackedPackets = 0;
  // ids resolved by resolve()
  private rVec = 0;
  private rVic = 0;
  private rPair = 0;

  constructor(
    readonly reflectors: readonly Reflector[] = REFLECTORS,
    readonly thresholds: Thresholds,
    private readonly onAlert?: (e: WatchEvent) => void,
    private readonly quietAfter = 10,
    /** Bound on tracked conversations (memory: about 150 bytes each); attacks are still found past it. */
    private readonly maxConversations = 4_000_000,
  ) {
    this.ports = portTable(reflectors);
    this.ntpIdx = this.ports[123];
  }

  packet(
    buf: Buffer,
    off: number,
    caplen: number,
    origlen: number,
    ts: number,
    linktype: number,
  ): void {
    this.frames++;
    this.bytes += origlen;
    if (ts < this.first) this.first = ts;
    if (ts > this.last) {
      this.last = ts;
      if (this.open.length !== 0 && ts - this.lastCheck >= 1) this.checkEnded(ts);
    }
    const o = off;
    const end = off + caplen;
    this.lim = end;
    let ver = 0;
    switch (linktype) {
      case 1: // Ethernet, with 802.1Q / QinQ tags, MPLS and PPPoE sessions
        if (caplen < 14) {
          this.short++;
          return;
        }
        ver = this.ether(buf, o + 14, end, (buf[o + 12] << 8) | buf[o + 13]);
        break;
      case 113: // Linux cooked v1
        if (caplen < 16) {
          this.short++;
          return;
        }
        ver = this.ether(buf, o + 16, end, (buf[o + 14] << 8) | buf[o + 15]);
        break;
      case 276: // Linux cooked v2
        if (caplen < 20) {
          this.short++;
          return;
        }
        ver = this.ether(buf, o + 20, end, (buf[o] << 8) | buf[o + 1]);
        break;
      case 0:
      case 108: {
        // BSD loopback: AF in host order (0) or network order (108)
        if (caplen < 4) {
          this.short++;
          return;
        }
        const fam =
          linktype === 108 || (buf[o] === 0 && buf[o + 1] === 0)
            ? (buf[o + 2] << 8) | buf[o + 3]
            : buf[o] | (buf[o + 1] << 8);
        this.cur = o + 4;
        ver = fam === 2 ? 4 : fam === 24 || fam === 28 || fam === 30 || fam === 10 ? 6 : 0;
        break;
      }
      case 101:
      case 12:
      case 14: // raw IP
        if (caplen < 1) {
          this.short++;
          return;
        }
        this.cur = o;
        ver = buf[o] >> 4;
        if (ver !== 4 && ver !== 6) {
          this.malformed++;
          return;
        }
        break;
      case 228:
        this.cur = o;
        ver = 4;
        break;
      case 229:
        this.cur = o;
        ver = 6;
        break;
      case 9:
      case 50: // PPP, with or without HDLC-like framing
        this.encap[E_PPP]++;
        ver = this.ppp(buf, o, end);
        break;
      case 239: // NFLOG
        ver = this.nflog(buf, o, end);
        break;
      default:
        this.unsupportedLink++;
        return;
    }
    if (ver <= 0) {
      if (ver < 0) this.short++;
      else this.nonIp++;
      return;
    }
    this.ip(buf, this.cur, this.lim, ver, origlen, ts);
  }

  /**
   * What follows an EtherType at buf[o]: 4 or 6 (the IP header at this.cur), 0 not IP, -1 cut short.
   * VLAN tags, an MPLS label stack and a PPPoE session header are stepped over.
   */
  private ether(buf: Buffer, o: number, end: number, et: number): number {
    for (let tags = 0; (et === 0x8100 || et === 0x88a8 || et === 0x9100) && tags < 4; tags++) {
      if (end - o < 4) return -1;
      et = (buf[o + 2] << 8) | buf[o + 3];
      o += 4;
    }
    this.cur = o;
    if (et === 0x0800) return 4;
    if (et === 0x86dd) return 6;
    if (et === 0x8847 || et === 0x8848) return this.mpls(buf, o, end);
    if (et === 0x8864) {
      // PPPoE session: version/type, code, session id, length, then PPP (protocol 1 or 2 bytes)
      this.encap[E_PPPOE]++;
      if (end - o < 7) return -1;
      return this.ppp(buf, o + 6, end);
    }
    return 0;
  }

  /** An MPLS label stack down to its bottom-of-stack label; the payload's first nibble names IPv4/IPv6, as tshark guesses. */
  private mpls(buf: Buffer, o: number, end: number): number {
    this.encap[E_MPLS]++;
    for (let n = 0; n < 16; n++) {
      if (end - o < 4) return -1;
      const bottom = buf[o + 2] & 1;
      o += 4;
      if (bottom) {
        if (end - o < 1) return -1;
        this.cur = o;
        const v = buf[o] >> 4;
        return v === 4 || v === 6 ? v : 0;
      }
    }
    return 0;
  }

  /** PPP: optional ff 03 (HDLC-like framing), a 1- or 2-byte protocol (0x21 IPv4, 0x57 IPv6). */
  private ppp(buf: Buffer, o: number, end: number): number {
    if (end - o >= 2 && buf[o] === 0xff && buf[o + 1] === 0x03) o += 2;
    if (end - o < 1) return -1;
    let p: number;
    if (buf[o] & 1) {
      p = buf[o];
      o += 1;
    } else {
      if (end - o < 2) return -1;
      p = (buf[o] << 8) | buf[o + 1];
      o += 2;
    }
    this.cur = o;
    return p === 0x21 ? 4 : p === 0x57 ? 6 : 0;
  }

  /**
   * NFLOG: family, version, resource id, then TLVs (length and type in the logging host's byte
   * order, little-endian on x86; big-endian tried when that gives no sane length). NFULA_PAYLOAD (9)
   * holds the packet from its IP header.
   */
  private nflog(buf: Buffer, o: number, end: number): number {
    this.encap[E_NFLOG]++;
    if (end - o < 4) return -1;
    const fam = buf[o];
    let p = o + 4;
    while (end - p >= 4) {
      let len = buf[p] | (buf[p + 1] << 8),
        type = (buf[p + 2] | (buf[p + 3] << 8)) & 0x7fff;
      if (len < 4) {
        len = (buf[p] << 8) | buf[p + 1];
        type = ((buf[p + 2] << 8) | buf[p + 3]) & 0x7fff;
      }
      if (len < 4) return -1;
      if (type === 9) {
        this.cur = p + 4;
        this.lim = Math.min(end, p + len);
        return fam === 2 ? 4 : fam === 10 ? 6 : 0;
      }
      p += (len + 3) & ~3;
    }
    return p > end ? -1 : 0;
  }

  /**
   * GRE (RFC 2784/2890, and PPTP's version 1) at buf[o]: 4/6 for IP inside (at this.cur), 0 for a
   * payload not decoded, -1 cut short. ERSPAN type I (0x88be, no sequence number), II (0x88be with
   * one, 8-byte header) and III (0x22eb, 12 bytes, 8 more with the O flag) carry Ethernet.
   */
  private gre(buf: Buffer, o: number, end: number, origlen: number): number {
    if (end - o < 4) return -1;
    const flags = buf[o],
      version = buf[o + 1] & 7;
    const proto = (buf[o + 2] << 8) | buf[o + 3];
    if (flags & 0x40) return 0; // source routing (RFC 1701): not seen in practice, not decoded
    if (version === 1) {
      // PPTP: key (payload length, call id) always, sequence and ack optional; PPP inside
      const h = 8 + (flags & 0x10 ? 4 : 0) + (buf[o + 1] & 0x80 ? 4 : 0);
      if (proto !== 0x880b) return 0;
      this.tunnel(E_GRE, origlen);
      if (end - o < h) return -1;
      return this.ppp(buf, o + h, end);
    }
    if (version !== 0) return 0;
    const h = 4 + (flags & 0x80 ? 4 : 0) + (flags & 0x20 ? 4 : 0) + (flags & 0x10 ? 4 : 0);
    if (end - o < h) return -1;
    o += h;
    this.cur = o;
    switch (proto) {
      case 0x0800:
        this.tunnel(E_GRE, origlen);
        return 4;
      case 0x86dd:
        this.tunnel(E_GRE, origlen);
        return 6;
      case 0x8847:
      case 0x8848:
        this.tunnel(E_GRE, origlen);
        return this.mpls(buf, o, end);
      case 0x6558: // transparent Ethernet bridging
        this.tunnel(E_GRE, origlen);
        if (end - o < 14) return -1;
        return this.ether(buf, o + 14, end, (buf[o + 12] << 8) | buf[o + 13]);
      case 0x88be: // ERSPAN I (no sequence number) or II (8-byte header)
        if (flags & 0x10) {
          this.tunnel(E_ERSPAN2, origlen);
          o += 8;
        } else this.tunnel(E_ERSPAN1, origlen);
        if (end - o < 14) return -1;
        return this.ether(buf, o + 14, end, (buf[o + 12] << 8) | buf[o + 13]);
      case 0x22eb: // ERSPAN III: 12 bytes; the O flag (last bit) adds an 8-byte platform-specific subheader
        this.tunnel(E_ERSPAN3, origlen);
        if (end - o < 12) return -1;
        o += buf[o + 11] & 1 ? 20 : 12;
        if (end - o < 14) return -1;
        return this.ether(buf, o + 14, end, (buf[o + 12] << 8) | buf[o + 13]);
      default:
        return 0;
    }
  }

  /** One frame through a tunnel: counted per kind and per outer (source, destination), from a[]. */
  private tunnel(kind: number, origlen: number): void {
    this.encap[kind]++;
    const a = this.a,
      t = this.tunnels,
      k = t.key;
    k[0] = a[0];
    k[1] = a[1];
    k[2] = a[2];
    k[3] = a[3];
    k[4] = a[4];
    k[5] = a[5];
    k[6] = a[6];
    k[7] = a[7];
    k[8] = kind;
    const id = t.upsert();
    t.vals[id * 2]++;
    t.vals[id * 2 + 1] += origlen;
  }

  /** IPv4/IPv6 at buf[o], through IP-in-IP, GRE, VXLAN and GENEVE tunnels down to the UDP inside. */
  private ip(buf: Buffer, o: number, end: number, ver: number, origlen: number, ts: number): void {
    const a = this.a;
    let udpSeen = false;
    for (let depth = 0; ; depth++) {
      let frag = 0; // 0 none, 1 first fragment
      let fragId = 0;
      let proto: number;
      if (ver === 4) {
        if (end - o < 20) {
          this.short++;
          return;
        }
        const vihl = buf[o];
        const ihl = (vihl & 15) << 2;
        if (vihl >> 4 !== 4 || ihl < 20) {
          this.malformed++;
          return;
        }
        // a total length shorter than the header: tcpdump's "bad-len", tshark's "bogus IP length"
        if (((buf[o + 2] << 8) | buf[o + 3]) < ihl) {
          this.malformed++;
          return;
        }
        if (depth === 0) this.ipv4++;
        const fw = (buf[o + 6] << 8) | buf[o + 7];
        a[0] = 0;
        a[1] = 0;
        a[2] = 0xffff;
        a[3] = ((buf[o + 12] << 24) | (buf[o + 13] << 16) | (buf[o + 14] << 8) | buf[o + 15]) >>> 0;
        a[4] = 0;
        a[5] = 0;
        a[6] = 0xffff;
        a[7] = ((buf[o + 16] << 24) | (buf[o + 17] << 16) | (buf[o + 18] << 8) | buf[o + 19]) >>> 0;
        proto = buf[o + 9];
        if (
          proto !== 17 &&
          ((fw & 0x3fff) !== 0 || !(proto === 4 || proto === 41 || proto === 47))
        ) {
          this.otherIp++;
          return;
        }
        if ((fw & 0x3fff) !== 0) {
          this.fragments++;
          fragId = (buf[o + 4] << 8) | buf[o + 5];
          if ((fw & 0x1fff) !== 0) {
            this.laterFragment(fragId, origlen, ts, udpSeen);
            return;
          }
          frag = 1;
        }
        o += ihl;
      } else if (ver === 6) {
        if (end - o < 40) {
          this.short++;
          return;
        }
        if (buf[o] >> 4 !== 6) {
          this.malformed++;
          return;
        }
        if (depth === 0) this.ipv6++;
        let nh = buf[o + 6];
        for (let i = 0; i < 4; i++) {
          const s = o + 8 + i * 4,
            d = o + 24 + i * 4;
          a[i] = ((buf[s] << 24) | (buf[s + 1] << 16) | (buf[s + 2] << 8) | buf[s + 3]) >>> 0;
          a[4 + i] = ((buf[d] << 24) | (buf[d + 1] << 16) | (buf[d + 2] << 8) | buf[d + 3]) >>> 0;
        }
        o += 40;
        for (let hops = 0; nh !== 17 && hops < 8; hops++) {
          if (end - o < 8) {
            this.short++;
            return;
          }
          if (nh === 0 || nh === 60) {
            if (nh === 60) this.homeAddress(buf, o, Math.min(end, o + (buf[o + 1] + 1) * 8));
            const n = buf[o];
            o += (buf[o + 1] + 1) * 8;
            nh = n;
          } else if (nh === 43) {
            this.finalDestination(buf, o, end);
            const n = buf[o];
            o += (buf[o + 1] + 1) * 8;
            nh = n;
          } else if (nh === 51) {
            const n = buf[o];
            o += (buf[o + 1] + 2) * 4;
            nh = n;
          } else if (nh === 44) {
            this.fragments++;
            const fo = ((buf[o + 2] << 8) | buf[o + 3]) >> 3;
            fragId =
              ((buf[o + 4] << 24) | (buf[o + 5] << 16) | (buf[o + 6] << 8) | buf[o + 7]) >>> 0;
            if (fo !== 0) {
              this.laterFragment(fragId, origlen, ts, udpSeen);
              return;
            }
            frag = 1;
            nh = buf[o];
            o += 8;
          } else break;
        }
        proto = nh;
      } else {
        this.malformed++;
        return;
      }

      if (proto === 17) {
        if (end - o < 8) {
          this.short++;
          return;
        }
        const sport = (buf[o] << 8) | buf[o + 1];
        const dport = (buf[o + 2] << 8) | buf[o + 3];
        if (!udpSeen) {
          udpSeen = true;
          this.udpFrames++;
          this.udpBytes += origlen;
        }
        // VXLAN / GENEVE, unless it comes from a reflector port: a DNS answer to the victim's random
        // port 4789 is DNS (tshark too tries the lower port first); tunnel sources are hashed high ports
        if (
          (dport === 4789 || dport === 6081) &&
          depth < MAX_DEPTH &&
          frag === 0 &&
          this.ports[sport] === 0
        ) {
          // the outer UDP is a conversation of its own in tshark's table
          if (this.conv(sport, dport, origlen, ts) < 0) this.untrackedPackets++;
          const inner =
            dport === 4789
              ? this.vxlan(buf, o + 8, end, origlen)
              : this.geneve(buf, o + 8, end, origlen);
          if (inner <= 0) {
            if (inner < 0) this.short++;
            return;
          }
          ver = inner;
          o = this.cur;
          end = this.lim;
          continue;
        }
        const id = this.conv(sport, dport, origlen, ts);
        if (id < 0) {
          this.untracked(buf, o, end, sport, origlen, ts);
          return;
        }
        const rev = this.cRev;
        if (frag === 1 && this.frags.size < this.maxConversations) {
          const fk = this.frags.key;
          fk[0] = a[0];
          fk[1] = a[1];
          fk[2] = a[2];
          fk[3] = a[3];
          fk[4] = a[4];
          fk[5] = a[5];
          fk[6] = a[6];
          fk[7] = a[7];
          fk[8] = fragId;
          const fid = this.frags.upsert();
          this.frags.vals[fid * 2] = id + 1;
          this.frags.vals[fid * 2 + 1] = rev ? 1 : 0;
        }
        const pr = this.ports[sport];
        if (pr === 0) return;
        this.amp(id, rev, pr, origlen, ts, this.monlist(buf, o, end, pr));
        return;
      }
      if (depth >= MAX_DEPTH || frag !== 0) {
        this.otherIp++;
        return;
      }
      if (proto === 4 || proto === 41) {
        this.tunnel(
          ver === 4 ? (proto === 4 ? E_IPIP : E_6IN4) : proto === 4 ? E_4IN6 : E_6IN6,
          origlen,
        );
        ver = proto === 4 ? 4 : 6;
        continue;
      }
      if (proto === 47) {
        this.lim = end;
        const inner = this.gre(buf, o, end, origlen);
        if (inner <= 0) {
          if (inner < 0) this.short++;
          else this.otherIp++;
          return;
        }
        ver = inner;
        o = this.cur;
        continue;
      }
      this.otherIp++;
      return;
    }
  }

  /** The conversation of the current packet (a[], ports), counted; -1 past maxConversations. Sets cRev. */
  private conv(sport: number, dport: number, origlen: number, ts: number): number {
    const a = this.a,
      flows = this.flows,
      k = flows.key;
    // normalised so that (addr, port) A <= B
    let rev = false;
    for (let i = 0; i < 4; i++) {
      if (a[i] !== a[4 + i]) {
        rev = a[i] > a[4 + i];
        break;
      }
      if (i === 3) rev = sport > dport;
    }
    if (!rev) {
      k[0] = a[0];
      k[1] = a[1];
      k[2] = a[2];
      k[3] = a[3];
      k[4] = a[4];
      k[5] = a[5];
      k[6] = a[6];
      k[7] = a[7];
      k[8] = ((sport << 16) | dport) >>> 0;
    } else {
      k[0] = a[4];
      k[1] = a[5];
      k[2] = a[6];
      k[3] = a[7];
      k[4] = a[0];
      k[5] = a[1];
      k[6] = a[2];
      k[7] = a[3];
      k[8] = ((dport << 16) | sport) >>> 0;
    }
    this.cRev = rev;
    const id = flows.size < this.maxConversations ? flows.upsert() : flows.find();
    if (id < 0) return -1;
    const fv = flows.vals,
      fb = id * FN;
    if (flows.created) {
      fv[fb + F_FIRST] = ts;
      fv[fb + F_REV] = rev ? 1 : 0;
    }
    if (ts > fv[fb + F_LAST]) fv[fb + F_LAST] = ts;
    if (!rev) {
      fv[fb + F_FAB]++;
      fv[fb + F_BAB] += origlen;
    } else {
      fv[fb + F_FBA]++;
      fv[fb + F_BBA] += origlen;
    }
    return id;
  }

  /** VXLAN (RFC 7348) header at buf[o], Ethernet after it. */
  private vxlan(buf: Buffer, o: number, end: number, origlen: number): number {
    this.tunnel(E_VXLAN, origlen);
    if (end - o < 8 + 14) return -1;
    return this.ether(buf, o + 8 + 14, end, (buf[o + 8 + 12] << 8) | buf[o + 8 + 13]);
  }

  /** GENEVE (RFC 8926) header at buf[o]: options, then Ethernet (0x6558) or IP by its protocol type. */
  private geneve(buf: Buffer, o: number, end: number, origlen: number): number {
    if (end - o < 8) return -1;
    if (buf[o] >> 6 !== 0) return 0; // version 0 only
    this.tunnel(E_GENEVE, origlen);
    const p = o + 8 + (buf[o] & 0x3f) * 4;
    const proto = (buf[o + 2] << 8) | buf[o + 3];
    this.cur = p;
    if (proto === 0x0800) return end - p < 1 ? -1 : 4;
    if (proto === 0x86dd) return end - p < 1 ? -1 : 6;
    if (proto !== 0x6558) return 0;
    if (end - p < 14) return -1;
    return this.ether(buf, p + 14, end, (buf[p + 12] << 8) | buf[p + 13]);
  }

  /** IPv6 routing header at buf[o] with segments left: tshark takes the final destination as the destination. */
  private finalDestination(buf: Buffer, o: number, end: number): void {
    const len = buf[o + 1],
      type = buf[o + 2],
      left = buf[o + 3];
    if (left === 0 || len < 2) return;
    // type 0 and 2 list the route in order (the last address is the final one); a segment routing
    // header (4) lists it in reverse, the final one first
    const at = type === 0 || type === 2 ? o + 8 + ((len >> 1) - 1) * 16 : type === 4 ? o + 8 : -1;
    if (at < 0 || at + 16 > end) return;
    const a = this.a;
    for (let i = 0; i < 4; i++) {
      const s = at + i * 4;
      a[4 + i] = ((buf[s] << 24) | (buf[s + 1] << 16) | (buf[s + 2] << 8) | buf[s + 3]) >>> 0;
    }
  }

  /** Destination options in buf[o, stop): a Home Address option (201) is the source, as tshark shows it. */
  private homeAddress(buf: Buffer, o: number, stop: number): void {
    for (let p = o + 2; p < stop; ) {
      const t = buf[p];
      if (t === 0) {
        p++;
        continue;
      }
      if (p + 2 > stop) return;
      const l = buf[p + 1];
      if (t === 0xc9 && l === 16 && p + 18 <= stop) {
        const a = this.a;
        for (let i = 0; i < 4; i++) {
          const s = p + 2 + i * 4;
          a[i] = ((buf[s] << 24) | (buf[s + 1] << 16) | (buf[s + 2] << 8) | buf[s + 3]) >>> 0;
        }
        return;
      }
      p += 2 + l;
    }
  }

  /** 1 for an NTP mode 7 response (R bit) to MON_GETLIST_1 (42) or MON_GETLIST (20); o = UDP header. */
  private monlist(buf: Buffer, o: number, end: number, proto: number): number {
    if (proto !== this.ntpIdx || end - o < 12) return 0;
    const b0 = buf[o + 8],
      code = buf[o + 11];
    return (b0 & 0x87) === 0x87 && (code === 42 || code === 20) ? 1 : 0;
  }

  /** Past maxConversations: no conversation entry, but reflection traffic is still counted. */
  private untracked(
    buf: Buffer,
    o: number,
    end: number,
    sport: number,
    origlen: number,
    ts: number,
  ): void {
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
    vk[0] = a[4];
    vk[1] = a[5];
    vk[2] = a[6];
    vk[3] = a[7];
    vk[4] = proto;
    const vec = this.vectors.upsert();
    if (this.vectors.created) this.init(this.vectors.vals, vec * VN, ts);
    const ck = this.victims.key;
    ck[0] = a[4];
    ck[1] = a[5];
    ck[2] = a[6];
    ck[3] = a[7];
    const vic = this.victims.upsert();
    if (this.victims.created) this.init(this.victims.vals, vic * VN, ts);
    const pk = this.pairs.key;
    pk[0] = a[4];
    pk[1] = a[5];
    pk[2] = a[6];
    pk[3] = a[7];
    pk[4] = a[0];
    pk[5] = a[1];
    pk[6] = a[2];
    pk[7] = a[3];
    pk[8] = proto;
    const pair = this.pairs.upsert();
    if (this.pairs.created) this.vectors.vals[vec * VN + V_REFL]++;
    this.rVec = vec;
    this.rVic = vic;
    this.rPair = pair;
  }

  /** A non-first fragment: counted with the flow of its first fragment when that was seen. */
  private laterFragment(fragId: number, origlen: number, ts: number, udpSeen: boolean): void {
    const a = this.a,
      fk = this.frags.key;
    fk[0] = a[0];
    fk[1] = a[1];
    fk[2] = a[2];
    fk[3] = a[3];
    fk[4] = a[4];
    fk[5] = a[5];
    fk[6] = a[6];
    fk[7] = a[7];
    fk[8] = fragId;
    const fid = this.frags.find();
    if (fid < 0) {
      this.orphanFragments++;
      return;
    }
    const id = this.frags.vals[fid * 2] - 1;
    const rev = this.frags.vals[fid * 2 + 1] === 1;
    if (!udpSeen) {
      this.udpFrames++;
      this.udpBytes += origlen;
    }
    const fv = this.flows.vals,
      fb = id * FN;
    if (ts > fv[fb + F_LAST]) fv[fb + F_LAST] = ts;
    if (!rev) {
      fv[fb + F_FAB]++;
      fv[fb + F_BAB] += origlen;
    } else {
      fv[fb + F_FBA]++;
      fv[fb + F_BBA] += origlen;
    }
    const c = fb + (rev ? F_AMP + 3 : F_AMP);
    if (fv[c] !== 0) this.hit(fv[c] - 1, fv[c + 1] - 1, fv[c + 2] - 1, origlen, ts, 0);
  }

  /** UDP from an amplifier port: the sender is a reflector, the receiver a possible victim. */
  private amp(
    flowId: number,
    rev: boolean,
    proto: number,
    origlen: number,
    ts: number,
    monlist: number,
  ): void {
    const fb = flowId * FN + (rev ? F_AMP + 3 : F_AMP);
    let fv = this.flows.vals;
    if (fv[fb] === 0) {
      this.resolve(proto, ts);
      fv = this.flows.vals;
      fv[fb] = this.rVec + 1;
      fv[fb + 1] = this.rVic + 1;
      fv[fb + 2] = this.rPair + 1;
    }
    this.hit(fv[fb] - 1, fv[fb + 1] - 1, fv[fb + 2] - 1, origlen, ts, monlist);
  }

  private init(v: Float64Array, b: number, ts: number): void {
    v[b + V_FIRST] = ts;
    v[b + V_LAST] = ts;
    v[b + V_CS] = Math.floor(ts);
  }

  private hit(
    vec: number,
    vic: number,
    pair: number,
    len: number,
    ts: number,
    monlist: number,
  ): void {
    const sec = Math.floor(ts);
    const pv = this.pairs.vals;
    pv[pair * PN + P_PKTS]++;
    pv[pair * PN + P_BYTES] += len;
    bump(this.victims.vals, vic * VN, sec, ts, len);
    const v = this.vectors.vals,
      b = vec * VN;
    bump(v, b, sec, ts, len);
    v[b + V_MONLIST] += monlist;
    if (
      this.onAlert !== undefined &&
      v[b + V_ALERTED] === 0 &&
      v[b + V_CP] >= this.thresholds.minPps &&
      v[b + V_REFL] >= this.thresholds.minReflectors &&
      v[b + V_BYTES] >= this.thresholds.minBytes
    ) {
      v[b + V_ALERTED] = 1;
      this.open.push(vec);
      this.alert(vec, ts);
    }
  }

  private alert(vec: number, ts: number): void {
    const v = this.vectors.vals,
      b = vec * VN;
    const r = this.reflectors[this.vectors.keys[vec * 5 + 4] - 1];
    this.onAlert!({
      type: 'attack',
      victim: formatWords(this.vectors.keys, vec * 5),
      protocol: r.name,
      port: r.port,
      at: ts,
      pps: v[b + V_CP],
      bps: v[b + V_CB] * 8,
      reflectors: v[b + V_REFL],
      monlistPackets: v[b + V_MONLIST],
    });
  }

  private checkEnded(ts: number): void {
    this.lastCheck = ts;
    const v = this.vectors.vals;
    const still: number[] = [];
    for (const vec of this.open) {
      const b = vec * VN;
      if (ts - v[b + V_LAST] < this.quietAfter) {
        still.push(vec);
        continue;
      }
      closeBucket(v, b);
      v[b + V_CP] = 0;
      v[b + V_CB] = 0;
      const r = this.reflectors[this.vectors.keys[vec * 5 + 4] - 1];
      this.onAlert!({
        type: 'end',
        victim: formatWords(this.vectors.keys, vec * 5),
        protocol: r.name,
        port: r.port,
        start: v[b + V_FIRST],
        end: v[b + V_LAST],
        packets: v[b + V_PKTS],
        bytes: v[b + V_BYTES],
        reflectors: v[b + V_REFL],
        peakPps: v[b + V_PP],
        peakBps: v[b + V_PB] * 8,
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
  if (sec > v[b + V_CS]) {
    closeBucket(v, b);
    v[b + V_CS] = sec;
    v[b + V_CP] = 0;
    v[b + V_CB] = 0;
  }
  v[b + V_CP]++;
  v[b + V_CB] += len;
}

function closeBucket(v: Float64Array, b: number): void {
  if (v[b + V_CP] > v[b + V_PP]) {
    v[b + V_PP] = v[b + V_CP];
    v[b + V_PSEC] = v[b + V_CS];
  }
  if (v[b + V_CB] > v[b + V_PB]) v[b + V_PB] = v[b + V_CB];
}

export const FLOW = { F_FAB, F_BAB, F_FBA, F_BBA, F_FIRST, F_LAST, F_REV };
