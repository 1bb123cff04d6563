/** Turns the analyzer's tables into the typed report (end of input only, so allocation is fine). */
import { formatWords } from '../lib/ip.js';
import {
  Analyzer,
  ENCAPSULATIONS,
  FLOW,
  P_BYTES,
  P_PKTS,
  V_BYTES,
  V_FIRST,
  V_LAST,
  V_MONLIST,
  V_PB,
  V_PKTS,
  V_PP,
  V_PSEC,
  V_REFL,
} from './analyzer.js';
import type { CaptureFormat } from './capture-reader.js';

export interface AttackVector {
  protocol: string;
  /** Source port of the reflected traffic. */
  port: number;
  packets: number;
  /** Frame bytes (length on the wire, as tshark's conversation table counts them). */
  bytes: number;
  reflectors: number;
  start: number;
  end: number;
  peakPps: number;
  peakBps: number;
  /** Start (epoch s) of the one-second bucket with the most packets. */
  peakAt: number;
  /** NTP mode 7 responses to MON_GETLIST(_1), request code 42 or 20. */
  monlistPackets: number;
}

export interface TopReflector {
  address: string;
  packets: number;
  bytes: number;
  protocols: string[];
}

export interface Victim {
  address: string;
  packets: number;
  bytes: number;
  reflectors: number;
  start: number;
  end: number;
  peakPps: number;
  peakBps: number;
  peakAt: number;
  monlistPackets: number;
  vectors: AttackVector[];
  topReflectors: TopReflector[];
}

export interface UdpConversation {
  addressA: string;
  portA: number;
  addressB: string;
  portB: number;
  framesAtoB: number;
  bytesAtoB: number;
  framesBtoA: number;
  bytesBtoA: number;
  start: number;
  duration: number;
}

/** One IP tunnel (GRE, ERSPAN, IP-in-IP, 6in4, VXLAN, GENEVE) by its outer addresses. */
export interface Tunnel {
  kind: string;
  outerSource: string;
  outerDestination: string;
  frames: number;
  bytes: number;
}

/** Tunnels listed in the report, busiest first; the rest are counted in tunnelsNotListed. */
export const MAX_TUNNELS = 50;

export interface DdosReport {
  source: string;
  format: CaptureFormat;
  /** The input was gzip-compressed (decompressed on the fly; byte offsets count decompressed bytes). */
  compressed: boolean;
  linktypes: number[];
  packets: number;
  bytes: number;
  start: number | null;
  end: number | null;
  ipv4: number;
  ipv6: number;
  nonIp: number;
  otherIp: number;
  udpPackets: number;
  udpBytes: number;
  fragments: number;
  orphanFragments: number;
  /** Frames too short for the headers their link type promises (snaplen or damage). */
  shortPackets: number;
  malformedPackets: number;
  unsupportedLinkPackets: number;
  /**
   * Frames per encapsulation decoded on the way to the UDP inside (gre, erspan-1/2/3, ipip, 6in4,
   * 4in6, 6in6, vxlan, geneve, mpls, pppoe, ppp, nflog); only those seen. Victims, reflectors and
   * conversations are the inner addresses; the outer ones are in tunnels.
   */
  encapsulations: Record<string, number>;
  tunnels: Tunnel[];
  tunnelsNotListed: number;
  /**
   * UDP conversations counted as `tshark -q -z conv,udp` does; untrackedPackets > 0 when the
   * maxConversations bound was reached (those packets still count for attacks).
   */
  conversations: { count: number; frames: number; bytes: number; untrackedPackets: number };
  thresholds: { minPps: number; minReflectors: number; minBytes: number };
  /** Set when the input ended inside a record; everything before it is reported. */
  truncated: { offset: number; message: string } | null;
  victims: Victim[];
  /** Only with { conversations: true }. */
  udpConversations?: UdpConversation[];
}

export function buildReport(
  an: Analyzer,
  meta: {
    source: string;
    format: CaptureFormat;
    compressed: boolean;
    linktypes: number[];
    truncated: { offset: number; message: string } | null;
    topReflectors: number;
    conversations: boolean;
  },
): DdosReport {
  an.finish();
  const th = an.thresholds;
  const refl = an.reflectors;
  const VN = Analyzer.VN,
    PN = Analyzer.PN,
    FN = Analyzer.FN;

  // vectors that pass the thresholds, grouped by victim id
  const vecs = an.vectors,
    vv = vecs.vals;
  const byVictim = new Map<number, AttackVector[]>();
  for (let i = 0; i < vecs.size; i++) {
    const b = i * VN;
    if (
      vv[b + V_PP] < th.minPps ||
      vv[b + V_REFL] < th.minReflectors ||
      vv[b + V_BYTES] < th.minBytes
    )
      continue;
    const r = refl[vecs.keys[i * 5 + 4] - 1];
    const vic = findVictim(an, vecs.keys, i * 5);
    const list = byVictim.get(vic) ?? [];
    list.push({
      protocol: r.name,
      port: r.port,
      packets: vv[b + V_PKTS],
      bytes: vv[b + V_BYTES],
      reflectors: vv[b + V_REFL],
      start: vv[b + V_FIRST],
      end: vv[b + V_LAST],
      peakPps: vv[b + V_PP],
      peakBps: vv[b + V_PB] * 8,
      peakAt: vv[b + V_PSEC],
      monlistPackets: vv[b + V_MONLIST],
    });
    byVictim.set(vic, list);
  }

  // reflectors of those victims, merged across protocols
  const refs = new Map<number, Map<string, TopReflector>>();
  for (const vic of byVictim.keys()) refs.set(vic, new Map());
  const pairs = an.pairs,
    pk = pairs.keys,
    pv = pairs.vals;
  for (let i = 0; i < pairs.size; i++) {
    const vic = findVictim(an, pk, i * 9);
    const m = refs.get(vic);
    if (!m) continue;
    const addr = formatWords(pk, i * 9 + 4);
    const proto = refl[pk[i * 9 + 8] - 1].name;
    const t = m.get(addr) ?? { address: addr, packets: 0, bytes: 0, protocols: [] };
    t.packets += pv[i * PN + P_PKTS];
    t.bytes += pv[i * PN + P_BYTES];
    if (!t.protocols.includes(proto)) t.protocols.push(proto);
    m.set(addr, t);
  }

  const cv = an.victims.vals;
  const victims: Victim[] = [...byVictim]
    .map(([vic, vectors]) => {
      const b = vic * VN;
      const m = refs.get(vic)!;
      const top = [...m.values()]
        .sort((x, y) => y.bytes - x.bytes || y.packets - x.packets)
        .slice(0, meta.topReflectors);
      vectors.sort((x, y) => y.bytes - x.bytes);
      return {
        address: formatWords(an.victims.keys, vic * 4),
        packets: cv[b + V_PKTS],
        bytes: cv[b + V_BYTES],
        reflectors: m.size,
        start: cv[b + V_FIRST],
        end: cv[b + V_LAST],
        peakPps: cv[b + V_PP],
        peakBps: cv[b + V_PB] * 8,
        peakAt: cv[b + V_PSEC],
        monlistPackets: vectors.reduce((s, v) => s + v.monlistPackets, 0),
        vectors,
        topReflectors: top,
      };
    })
    .sort((x, y) => y.bytes - x.bytes);

  const flows = an.flows,
    fv = flows.vals,
    fk = flows.keys;
  let convFrames = 0,
    convBytes = 0;
  const list: UdpConversation[] = [];
  for (let i = 0; i < flows.size; i++) {
    const b = i * FN;
    convFrames += fv[b + FLOW.F_FAB] + fv[b + FLOW.F_FBA];
    convBytes += fv[b + FLOW.F_BAB] + fv[b + FLOW.F_BBA];
    if (!meta.conversations) continue;
    const k = i * 9,
      p = fk[k + 8];
    const lo = { address: formatWords(fk, k), port: p >>> 16 },
      hi = { address: formatWords(fk, k + 4), port: p & 0xffff };
    const rev = fv[b + FLOW.F_REV] === 1; // first packet went hi -> lo: show the first sender as A
    const [A, B] = rev ? [hi, lo] : [lo, hi];
    list.push({
      addressA: A.address,
      portA: A.port,
      addressB: B.address,
      portB: B.port,
      framesAtoB: rev ? fv[b + FLOW.F_FBA] : fv[b + FLOW.F_FAB],
      bytesAtoB: rev ? fv[b + FLOW.F_BBA] : fv[b + FLOW.F_BAB],
      framesBtoA: rev ? fv[b + FLOW.F_FAB] : fv[b + FLOW.F_FBA],
      bytesBtoA: rev ? fv[b + FLOW.F_BAB] : fv[b + FLOW.F_BBA],
      start: fv[b + FLOW.F_FIRST],
      duration: fv[b + FLOW.F_LAST] - fv[b + FLOW.F_FIRST],
    });
  }

  const encapsulations: Record<string, number> = {};
  ENCAPSULATIONS.forEach((name, i) => {
    if (an.encap[i] > 0) encapsulations[name] = an.encap[i];
  });
  const tt = an.tunnels,
    tunnels: Tunnel[] = [];
  for (let i = 0; i < tt.size; i++) {
    tunnels.push({
      kind: ENCAPSULATIONS[tt.keys[i * 9 + 8]],
      outerSource: formatWords(tt.keys, i * 9),
      outerDestination: formatWords(tt.keys, i * 9 + 4),
      frames: tt.vals[i * 2],
      bytes: tt.vals[i * 2 + 1],
    });
  }
  tunnels.sort((x, y) => y.frames - x.frames || y.bytes - x.bytes);

  const report: DdosReport = {
    source: meta.source,
    format: meta.format,
    compressed: meta.compressed,
    linktypes: meta.linktypes,
    packets: an.frames,
    bytes: an.bytes,
    start: an.frames ? an.first : null,
    end: an.frames ? an.last : null,
    ipv4: an.ipv4,
    ipv6: an.ipv6,
    nonIp: an.nonIp,
    otherIp: an.otherIp,
    udpPackets: an.udpFrames,
    udpBytes: an.udpBytes,
    fragments: an.fragments,
    orphanFragments: an.orphanFragments,
    shortPackets: an.short,
    malformedPackets: an.malformed,
    unsupportedLinkPackets: an.unsupportedLink,
    encapsulations,
    tunnels: tunnels.slice(0, MAX_TUNNELS),
    tunnelsNotListed: Math.max(0, tunnels.length - MAX_TUNNELS),
    conversations: {
      count: flows.size,
      frames: convFrames,
      bytes: convBytes,
      untrackedPackets: an.untrackedPackets,
    },
    thresholds: { ...th },
    truncated: meta.truncated,
    victims,
  };
  if (meta.conversations) report.udpConversations = list;
  return report;
}

function findVictim(an: Analyzer, words: Uint32Array, o: number): number {
  const k = an.victims.key;
  k[0] = words[o];
  k[1] = words[o + 1];
  k[2] = words[o + 2];
  k[3] = words[o + 3];
  return an.victims.find();
}
