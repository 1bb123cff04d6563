/**
 * The iperf3 -J document: "start", "intervals", "end" in the 3.12 schema. Text output is
 * rendered from these same objects (text.ts), so both views always agree.
 */
import os from 'node:os';
import type { TestSettings } from './params.js';
import type { Json, Session } from './session.js';
import type { StreamStats } from './stream.js';
import { VERSION } from './constants.js';

export interface IperfJson {
  start: Json;
  intervals: Json[];
  end: Json;
  error?: string;
  server_output_text?: string;
  server_output_json?: Json;
}

export function systemInfo(): string {
  return `${os.type()} ${os.hostname()} ${os.release()} ${os.version()} ${os.machine()}`;
}

export function timestamp(d = new Date()): Json {
  return { time: d.toUTCString(), timesecs: Math.floor(d.getTime() / 1000) };
}

export function buildStart(opts: {
  settings: TestSettings;
  streams: StreamStats[];
  cookie: string;
  connectingTo?: { host: string; port: number };
  accepted?: { host: string; port: number };
  /** Control socket MSS and the data sockets' buffer sizes, as the kernel reports them. */
  sock?: { mss: number; sndbuf: number; rcvbuf: number };
}): Json {
  const s = opts.settings;
  const start: Json = {
    connected: opts.streams.map((st) => ({
      socket: st.socketNo,
      local_host: st.local.host,
      local_port: st.local.port,
      remote_host: st.remote.host,
      remote_port: st.remote.port,
    })),
    version: `iperf ${VERSION}`,
    system_info: systemInfo(),
  };
  start.timestamp = timestamp();
  if (opts.connectingTo) start.connecting_to = opts.connectingTo;
  if (opts.accepted) start.accepted_connection = opts.accepted;
  start.cookie = opts.cookie;
  if (s.protocol === 'tcp') start.tcp_mss_default = opts.sock?.mss ?? 0;
  start.target_bitrate = s.bitrate;
  start.sock_bufsize = s.window;
  start.sndbuf_actual = opts.sock?.sndbuf ?? 0;
  start.rcvbuf_actual = opts.sock?.rcvbuf ?? 0;
  start.test_start = {
    protocol: s.protocol.toUpperCase(),
    num_streams: s.parallel,
    blksize: s.len,
    omit: s.omit,
    duration: s.duration,
    bytes: s.bytes,
    blocks: s.blocks,
    reverse: s.reverse ? 1 : 0,
    tos: s.tos,
    target_bitrate: s.bitrate,
  };
  return start;
}

interface Side {
  bytes: number;
  time: number;
  packets: number;
}

/** The end section, computed the way iperf_print_results does from both ends' counters. */
export function buildEnd(
  sess: Session,
  remoteCpu: { total: number; user: number; system: number } | null,
  congestion: { local?: string; remote?: string },
): Json {
  const udp = sess.settings.protocol === 'udp';
  const end: Json = { streams: [] as Json[] };
  const passes = sess.settings.bidir ? [true, false] : [null];
  for (const pass of passes) {
    const streams = sess.streams.filter((s) => pass === null || sess.isForward(s.sender) === pass);
    if (streams.length === 0) continue;
    const mustBeSender = streams[0].sender;
    let totalSent = 0,
      totalRecv = 0,
      lost = 0,
      jitterSum = 0,
      sendPk = 0,
      recvPk = 0,
      ooo = 0;
    let senderTime = 0,
      receiverTime = 0;
    let retrTotal: number | null = null;
    for (const st of streams) {
      const localTime = Math.max(0, st.endTime - st.startTime);
      const peerTime =
        st.peer && st.peer.endTime !== undefined && st.peer.startTime !== undefined
          ? st.peer.endTime - st.peer.startTime
          : localTime;
      const snd: Side = st.sender
        ? { bytes: st.bytes - st.omitBytes, time: localTime, packets: st.packets - st.omitPackets }
        : {
            bytes: st.peer?.bytes ?? 0,
            time: peerTime || localTime,
            packets: st.peer?.packets ?? 0,
          };
      const rcv: Side = st.sender
        ? {
            bytes: st.peer?.bytes ?? 0,
            time: peerTime || localTime,
            packets: st.peer?.packets ?? 0,
          }
        : { bytes: st.bytes - st.omitBytes, time: localTime, packets: st.packets - st.omitPackets };
      const errors = st.sender ? (st.peer?.errors ?? 0) : st.errors - st.omitErrors;
      const jitter = st.sender ? (st.peer?.jitter ?? 0) : st.jitter;
      const outOfOrder = st.sender ? 0 : st.outOfOrder - st.omitOutOfOrder;
      if (senderTime === 0) {
        senderTime = snd.time;
        receiverTime = rcv.time;
      }
      totalSent += snd.bytes;
      totalRecv += rcv.bytes;
      lost += errors;
      jitterSum += jitter;
      ooo += outOfOrder;
      sendPk += snd.packets;
      recvPk += rcv.packets;
      const list = end.streams as Json[];
      if (udp) {
        const packets = snd.packets || rcv.packets;
        const row: Json = {
          socket: st.socketNo,
          start: 0,
          end: snd.time,
          seconds: snd.time,
          bytes: snd.bytes,
          bits_per_second: snd.time > 0 ? (snd.bytes * 8) / snd.time : 0,
          jitter_ms: jitter * 1000,
          lost_packets: errors,
          packets,
          lost_percent: packets > 0 ? (100 * errors) / packets : 0,
          out_of_order: outOfOrder,
          sender: mustBeSender,
        };
        // The receiver's own count, for the text view (not part of iperf3's JSON, so not enumerable).
        Object.defineProperty(row, 'received', {
          value: { bytes: rcv.bytes, seconds: rcv.time },
          enumerable: false,
        });
        list.push({ udp: row });
      } else {
        const sndObj: Json = {
          socket: st.socketNo,
          start: 0,
          end: snd.time,
          seconds: snd.time,
          bytes: snd.bytes,
          bits_per_second: snd.time > 0 ? (snd.bytes * 8) / snd.time : 0,
        };
        const t = st.tcp;
        if (st.sender && t) {
          Object.assign(sndObj, {
            retransmits: st.retransCount,
            max_snd_cwnd: t.maxCwnd,
            max_snd_wnd: t.maxSndWnd,
            max_rtt: t.maxRtt,
            min_rtt: t.minRtt,
            mean_rtt: t.countRtt ? Math.round(t.sumRtt / t.countRtt) : 0,
          });
        } else if (!st.sender && sess.peerHasRetransmits && st.peer && st.peer.retransmits >= 0) {
          Object.assign(sndObj, {
            retransmits: st.peer.retransmits,
            max_snd_cwnd: 0,
            max_snd_wnd: 0,
            max_rtt: 0,
            min_rtt: 0,
            mean_rtt: 0,
          });
        }
        if (typeof sndObj.retransmits === 'number')
          retrTotal = (retrTotal ?? 0) + (sndObj.retransmits as number);
        sndObj.sender = mustBeSender;
        list.push({
          sender: sndObj,
          receiver: {
            socket: st.socketNo,
            start: 0,
            end: rcv.time,
            seconds: localTime,
            bytes: rcv.bytes,
            bits_per_second: rcv.time > 0 ? (rcv.bytes * 8) / rcv.time : 0,
            sender: mustBeSender,
          },
        });
      }
    }
    const suffix = pass === false ? '_bidir_reverse' : '';
    const bps = (b: number, t: number) => (t > 0 ? (b * 8) / t : 0);
    if (udp) {
      const packets = sendPk || recvPk;
      const jit = (jitterSum / streams.length) * 1000;
      if (pass !== false) {
        end.sum = {
          start: 0,
          end: receiverTime,
          seconds: receiverTime,
          bytes: totalSent,
          bits_per_second: bps(totalSent, senderTime),
          jitter_ms: jit,
          lost_packets: lost,
          packets,
          lost_percent: packets > 0 ? (100 * lost) / packets : 0,
          sender: mustBeSender,
        };
      }
      end[`sum_sent${suffix}`] = {
        start: 0,
        end: senderTime,
        seconds: senderTime,
        bytes: totalSent,
        bits_per_second: bps(totalSent, senderTime),
        jitter_ms: 0,
        lost_packets: 0,
        packets: sendPk,
        lost_percent: 0,
        sender: true,
      };
      end[`sum_received${suffix}`] = {
        start: 0,
        end: receiverTime,
        seconds: receiverTime,
        bytes: totalRecv,
        bits_per_second: bps(totalRecv, receiverTime),
        jitter_ms: jit,
        lost_packets: lost,
        packets: recvPk || sendPk,
        lost_percent: (recvPk || sendPk) > 0 ? (100 * lost) / (recvPk || sendPk) : 0,
        sender: false,
      };
      if (ooo > 0) (end[`sum_received${suffix}`] as Json).out_of_order = ooo;
    } else {
      const sumSent: Json = {
        start: 0,
        end: senderTime,
        seconds: senderTime,
        bytes: totalSent,
        bits_per_second: bps(totalSent, senderTime),
      };
      if (retrTotal !== null) sumSent.retransmits = retrTotal;
      sumSent.sender = mustBeSender;
      end[`sum_sent${suffix}`] = sumSent;
      end[`sum_received${suffix}`] = {
        start: 0,
        end: receiverTime,
        seconds: receiverTime,
        bytes: totalRecv,
        bits_per_second: bps(totalRecv, receiverTime),
        sender: mustBeSender,
      };
    }
  }
  const c = sess.cpuResult;
  end.cpu_utilization_percent = {
    host_total: c.total,
    host_user: c.user,
    host_system: c.system,
    remote_total: remoteCpu?.total ?? 0,
    remote_user: remoteCpu?.user ?? 0,
    remote_system: remoteCpu?.system ?? 0,
  };
  if (!udp) {
    const localSends = sess.role === 'c' ? !sess.settings.reverse : sess.settings.reverse;
    const snd = localSends ? congestion.local : congestion.remote;
    const rcv = localSends ? congestion.remote : congestion.local;
    if (snd) end.sender_tcp_congestion = snd;
    if (rcv) end.receiver_tcp_congestion = rcv;
  }
  return end;
}
