/**
 * CREATE_STREAMS: open the session, accept the client's data streams (TCP connections that
 * carry the cookie, or UDP hellos on the same port) until all have come, within the control
 * deadline.
 */
import { randomBytes } from 'node:crypto';
import type dgram from 'node:dgram';
import type net from 'node:net';
import { State } from '../constants.js';
import { tcpFd, udpFd } from '../native-sock.js';
import { Session } from '../session.js';
import { SockOptError, applyTcpOptions, applyTos } from '../sockopt.js';
import { StreamStats, plainAddr, streamId } from '../stream.js';
import { Pacer, SendBudget, TcpSender, adoptAsSink } from '../tcp-data.js';
import { tcpInfoAvailable } from '../tcp-info.js';
import { UdpAcceptor, UdpSender, countUdp } from '../udp-data.js';
import type { TestSettings } from '../params.js';
import type { TestRun } from './test-run.js';

export async function createStreams(t: TestRun, s: TestSettings): Promise<Session> {
  const { ctrl, srv } = t;
  const sess = new Session(s, 's', srv.limits.interval);
  t.sess = sess;
  if (s.protocol === 'tcp') sess.tcpInfo = tcpInfoAvailable();
  t.expected = s.bidir ? s.parallel * 2 : s.parallel;
  if (s.protocol === 'tcp' && (s.reverse || s.bidir)) t.block = randomBytes(s.len);
  const endBudget = () => {};
  t.budget = new SendBudget(s.bytes, s.blocks, endBudget);
  if (s.protocol === 'udp') {
    t.acceptor = new UdpAcceptor(srv.opts.host, srv.port, srv.family, s.window, (sock, p) => {
      try {
        if (t.nextIndex < t.expected) addStream(t, null, { sock, peer: p });
        else sock.close();
      } catch {
        try {
          sock.close();
        } catch {
          /* closed */
        }
      }
    });
    await t.acceptor.listen();
  }
  t.acceptingStreams = true;
  ctrl.writeState(State.CREATE_STREAMS);
  // One read of the control channel covers the rest of the test: a byte during stream setup is
  // an error, after it the client's TEST_END (or CLIENT_TERMINATE, or EOF) ends the test.
  const nextMsg = ctrl.readState(0);
  nextMsg.catch(() => {});
  t.nextMsg = nextMsg;
  await deadline(
    Promise.race([
      t.streamsPromise,
      nextMsg.then(() => {
        throw new Error('client spoke during stream setup');
      }),
    ]),
    srv.limits.ctlTimeout,
    'data streams',
  );
  t.acceptingStreams = false;
  t.acceptor?.close();
  t.acceptor = null;
  return sess;
}

/** One data stream of the test: a TCP connection that sent the cookie, or a UDP stream's socket. */
export function addStream(
  t: TestRun,
  tcp: net.Socket | null,
  udp: { sock: dgram.Socket; peer: { address: string; port: number } } | null,
): void {
  const s = t.settings!;
  const i = t.nextIndex++;
  // Server counts its receiving streams first (bidir: the client's sending streams come first).
  const sender = s.bidir ? i >= s.parallel : s.reverse;
  const st = new StreamStats(streamId(i), sender, 5 + 2 * i);
  const pacer = s.bitrate > 0 ? new Pacer(s.bitrate) : null;
  const pacingMs = Math.max(1, s.pacingTimer / 1000);
  const x: NewStream = { st, sender, pacer, pacingMs };
  if (tcp) {
    if (!attachTcp(t, s, tcp, x)) return;
  } else if (udp) {
    if (!attachUdp(t, s, udp.sock, udp.peer, x)) return;
  }
  t.sess!.streams.push(st);
  if (t.nextIndex === t.expected) t.streamsReady();
}

interface NewStream {
  st: StreamStats;
  sender: boolean;
  pacer: Pacer | null;
  pacingMs: number;
}

/** A socket option the client asked for failed: SERVER_ERROR with iperf3's i_errno, and the setup fails. */
function optionFailed(t: TestRun, e: unknown): false {
  if (!(e instanceof SockOptError)) throw e;
  t.ctrl.writeServerError(e.ierrno, e.errno);
  t.streamsFailed(e);
  return false;
}

function attachTcp(t: TestRun, s: TestSettings, tcp: net.Socket, x: NewStream): boolean {
  const sess = t.sess!;
  const { st, sender } = x;
  // -w / -C from the client's parameters, on each data socket (as iperf3 does on its listener).
  try {
    applyTcpOptions(tcp, { window: s.window, congestion: s.congestion });
    // the client's -S / --dscp marks what this end sends too (iperf3 sets it on every stream)
    applyTos(tcpFd(tcp), s.tos, tcp.remoteFamily === 'IPv6');
  } catch (e) {
    tcp.destroy();
    return optionFailed(t, e);
  }
  if (!sender) tcp = adoptAsSink(tcp, st, () => sess.running);
  st.tcpSock = tcp;
  t.dataSocks.push(tcp);
  tcp.setNoDelay(s.noDelay);
  st.local = { host: plainAddr(tcp.localAddress), port: tcp.localPort ?? 0 };
  st.remote = { host: plainAddr(tcp.remoteAddress), port: tcp.remotePort ?? 0 };
  if (sender) {
    t.senders.push(new TcpSender(tcp, st, t.block!, t.budget!, x.pacer, x.pacingMs));
    tcp.on('data', () => {});
    tcp.resume();
  }
  return true;
}

function attachUdp(
  t: TestRun,
  s: TestSettings,
  sock: dgram.Socket,
  peer: { address: string; port: number },
  x: NewStream,
): boolean {
  const sess = t.sess!;
  const { st } = x;
  t.udpSocks.push(sock);
  try {
    applyTos(udpFd(sock), s.tos, t.srv.family === 6);
  } catch (e) {
    return optionFailed(t, e);
  }
  const a = sock.address();
  st.local = { host: plainAddr(a.address), port: a.port };
  st.remote = { host: plainAddr(peer.address), port: peer.port };
  if (x.sender)
    t.senders.push(new UdpSender(sock, st, s.len, s.udp64, t.budget!, x.pacer, x.pacingMs));
  else countUdp(sock, st, s.udp64, () => sess.running);
  return true;
}

/** Rejects with "timed out waiting for <what>" unless p settles within ms. */
function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, rejectP) => {
    const timer = setTimeout(() => rejectP(new Error(`timed out waiting for ${what}`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        rejectP(e);
      },
    );
  });
}
