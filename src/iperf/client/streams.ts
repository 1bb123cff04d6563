/**
 * CREATE_STREAMS: connect the data streams (each TCP one sends the cookie), set their options,
 * then announce the test (the -J "start" object and the 'connected' event).
 */
import { randomBytes } from 'node:crypto';
import type dgram from 'node:dgram';
import type net from 'node:net';
import { cookieText } from '../cookie.js';
import { tcpFd, udpFd } from '../native-sock.js';
import { buildStart } from '../report.js';
import { SockOptError, applyTcpOptions, applyTos, buffersOf, mssOf } from '../sockopt.js';
import { StreamStats, plainAddr, streamId } from '../stream.js';
import { Pacer, TcpSender, sinkReader } from '../tcp-data.js';
import { UdpSender, countUdp, udpConnect } from '../udp-data.js';
import type { ClientRun } from './client-run.js';
import { connectTcp } from './connect.js';

export async function createStreams(c: ClientRun): Promise<void> {
  const { settings } = c;
  const total = settings.bidir ? settings.parallel * 2 : settings.parallel;
  const block = c.protocol === 'tcp' ? randomBytes(settings.len) : Buffer.alloc(0);
  for (let i = 0; i < total; i++) {
    const sender = settings.bidir ? i < settings.parallel : !settings.reverse;
    const st = new StreamStats(streamId(i), sender, 5 + 2 * i);
    const pacer = settings.bitrate > 0 ? new Pacer(settings.bitrate) : null;
    const pacingMs = Math.max(1, settings.pacingTimer / 1000);
    const onRecv = (n: number) => {
      c.recvBudget.sentBytes += n;
      if (!c.recvBudget.unlimited && c.recvBudget.exhausted()) setImmediate(c.endTest);
    };
    const stream: NewStream = { i, st, sender, pacer, pacingMs, onRecv };
    if (c.protocol === 'tcp') await openTcpStream(c, stream, block);
    else await openUdpStream(c, stream);
    c.sess.streams.push(st);
  }
}

/** Stream i of the test, its counters, direction and pacing. */
interface NewStream {
  i: number;
  st: StreamStats;
  sender: boolean;
  pacer: Pacer | null;
  pacingMs: number;
  /** bytes received, counted towards a -n/-k end */
  onRecv: (n: number) => void;
}

/** --cport gives stream i the local port cport + i (as iperf3 3.12). */
function localOf(c: ClientRun, i: number) {
  const { opts } = c;
  return {
    address: opts.bind,
    port: opts.cport ? opts.cport + i : undefined,
    device: opts.device,
    mark: opts.mark,
  };
}

async function openTcpStream(c: ClientRun, x: NewStream, block: Buffer): Promise<void> {
  const { settings, sess, family } = c;
  const { st, sender } = x;
  let s: net.Socket;
  try {
    s = await connectTcp(
      c.remoteAddr,
      c.port,
      family,
      10_000,
      sender ? undefined : sinkReader(st, () => sess.running, x.onRecv),
      localOf(c, x.i),
    );
  } catch (e) {
    c.fail('IPERF_STREAM_CONNECT', `unable to connect stream: ${(e as Error).message}`);
  }
  c.tcpSocks.push(s);
  try {
    applyTcpOptions(s, { window: settings.window, congestion: settings.congestion });
    applyTos(tcpFd(s), settings.tos, family === 6);
  } catch (e) {
    if (e instanceof SockOptError) c.fail(e.code, e.message, 3);
    throw e;
  }
  st.tcpSock = s;
  s.setNoDelay(settings.noDelay);
  s.write(c.cookie);
  st.local = { host: plainAddr(s.localAddress), port: s.localPort ?? 0 };
  st.remote = { host: plainAddr(s.remoteAddress), port: s.remotePort ?? 0 };
  if (sender) c.senders.push(new TcpSender(s, st, block, c.budget, x.pacer, x.pacingMs));
}

async function openUdpStream(c: ClientRun, x: NewStream): Promise<void> {
  const { settings, sess, family } = c;
  const { st } = x;
  let s: dgram.Socket;
  try {
    s = await udpConnect(c.remoteAddr, c.port, family, 10_000, settings.window, localOf(c, x.i));
  } catch (e) {
    c.fail('IPERF_STREAM_CONNECT', `unable to connect UDP stream: ${(e as Error).message}`);
  }
  c.udpSocks.push(s);
  try {
    applyTos(udpFd(s), settings.tos, family === 6);
  } catch (e) {
    if (e instanceof SockOptError) c.fail(e.code, e.message, 3);
    throw e;
  }
  const a = s.address();
  const r = s.remoteAddress();
  st.local = { host: plainAddr(a.address), port: a.port };
  st.remote = { host: plainAddr(r.address), port: r.port };
  if (x.sender)
    c.senders.push(
      new UdpSender(s, st, settings.len, settings.udp64, c.budget, x.pacer, x.pacingMs),
    );
  else countUdp(s, st, settings.udp64, () => sess.running, x.onRecv);
}

/** The -J "start" object once the streams are up, and the 'connected' event for a text view. */
export function announceStreams(c: ClientRun): void {
  c.json.start = buildStart({
    settings: c.settings,
    streams: c.sess.streams,
    cookie: cookieText(c.cookie),
    connectingTo: { host: c.opts.host, port: c.port },
    sock: {
      mss: mssOf(c.ctrlSock),
      ...(c.tcpSocks[0] ? buffersOf(c.tcpSocks[0]) : { sndbuf: 0, rcvbuf: 0 }),
    },
  });
  c.opts.onEvent?.({ type: 'connected', start: c.json.start, settings: c.settings });
}
