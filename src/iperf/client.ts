/**
 * The iperf3 client: control connection, parameter exchange, stream creation, the timed test,
 * results exchange. Speaks the 3.12 wire protocol, so it works against real iperf3 servers.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type dgram from 'node:dgram';
import type { KeyObject } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { HostopsError } from '../lib/errors.js';
import { boundTcpSocket, wantsDeviceBind, type DeviceBind } from './bind-dev.js';
import { cookieText, makeCookie } from './cookie.js';
import { ControlChannel, ControlError } from './ctrl.js';
import { DEFAULT_PORT, DEFAULT_UDP_LEN, IErr, IErrText, Limits, State } from './constants.js';
import { defaultSettings, toWire, type TestSettings } from './params.js';
import { buildEnd, buildStart, type IperfJson } from './report.js';
import { Session, type Json } from './session.js';
import { StreamStats, parsePeerStreams, plainAddr, signedNumber, streamId } from './stream.js';
import { Pacer, SendBudget, TcpSender, sinkReader } from './tcp-data.js';
import { UdpSender, countUdp, udpConnect } from './udp-data.js';
import {
  SockOptError,
  applyTcpOptions,
  applyTos,
  buffersOf,
  checkTcpOptions,
  mssOf,
} from './sockopt.js';
import { tcpFd, udpFd } from './native-sock.js';
import { tcpInfoAvailable } from './tcp-info.js';
import { credentialProblem, encodeAuthToken, type RsaPadding } from './auth.js';

export interface ClientOptions {
  host: string;
  port?: number;
  /** Seconds (-t); default 10. Ignored when bytes or blocks is set. */
  duration?: number;
  protocol?: 'tcp' | 'udp';
  parallel?: number;
  reverse?: boolean;
  bidir?: boolean;
  /** Target bit/s per stream (-b); UDP default 1 Mbit/s, TCP unlimited. */
  bitrate?: number;
  bytes?: number;
  blocks?: number;
  len?: number;
  window?: number;
  omit?: number;
  /** Interval report period in seconds (-i); 0 disables. Default 1. */
  interval?: number;
  getServerOutput?: boolean;
  congestion?: string;
  family?: 4 | 6;
  udp64?: boolean;
  title?: string;
  connectTimeoutMs?: number;
  /** -B: local address for the control and data connections */
  bind?: string;
  /** --bind-dev / --fwmark: interface (SO_BINDTODEVICE) and fwmark (SO_MARK) of every connection */
  device?: string;
  mark?: number;
  /** --cport: local port of the first data stream; stream i uses cport + i (as iperf3 3.12) */
  cport?: number;
  /** --dscp/-S: IP TOS byte on our data sockets (IP_TOS / IPV6_TCLASS), and sent to the server in the parameters so it marks what it sends */
  tos?: number;
  /** iperf3's RSA authentication (--username, --rsa-public-key-path; the password from IPERF3_PASSWORD). */
  auth?: ClientAuth;
  /** End with an error when no data moves for this long while the test runs (iperf3's --rcv-timeout). Default 120 s. */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
  /** Live progress for a text view: stream connected, each interval, omit done. */
  onEvent?: (e: ClientEvent) => void;
}

export interface ClientAuth {
  username: string;
  password: string;
  /** The server's RSA public key. */
  publicKey: KeyObject;
  /** PKCS#1 v1.5 as iperf3 3.12 (and 3.17+ servers with --use-pkcs1-padding); 'oaep' for 3.17+ defaults. */
  padding?: RsaPadding;
}

export type ClientEvent =
  | { type: 'connected'; start: Json; settings: TestSettings }
  | { type: 'interval'; interval: Json; settings: TestSettings }
  | { type: 'omit-done' }
  /** Something iperf3 would print as "warning: ..." (e.g. a UDP block larger than the path's MSS). */
  | { type: 'warning'; message: string };

/** A failed test; `json` is the partial -J document with "error" set, as iperf3 -J prints it. */
export class IperfError extends HostopsError {
  constructor(
    code: string,
    message: string,
    readonly json: IperfJson,
    exitCode: 1 | 2 | 3 = 1,
    where?: string,
    hint?: string,
  ) {
    super(code, message, { exitCode, where, hint });
  }
}

async function connectTcp(
  host: string,
  port: number,
  family: 4 | 6 | undefined,
  timeoutMs: number,
  onread?: net.OnReadOpts,
  local: { address?: string; port?: number } & DeviceBind = {},
): Promise<net.Socket> {
  // --bind-dev / --fwmark: the socket is made (and marked) before Node connects it, so the family
  // must be known first
  let pre: net.Socket | undefined;
  if (wantsDeviceBind(local)) {
    if (!family || !net.isIP(host)) {
      const a = await lookup(host, { family: family ?? 0 });
      host = a.address;
      family = a.family === 6 ? 6 : 4;
    }
    pre = boundTcpSocket(family, local, onread);
  }
  return new Promise((resolve, reject) => {
    const where = {
      host,
      port,
      family: family ?? 0,
      ...(onread && !pre ? { onread } : {}),
      ...(local.address ? { localAddress: local.address } : {}),
      ...(local.port ? { localPort: local.port } : {}),
    };
    const sock = pre ? pre.connect(where) : net.connect(where);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('Connection timed out'));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(e.code === 'ECONNREFUSED' ? 'Connection refused' : e.message));
    });
  });
}

export async function runClient(opts: ClientOptions): Promise<IperfJson> {
  const port = opts.port ?? DEFAULT_PORT;
  const protocol = opts.protocol ?? 'tcp';
  const settings = defaultSettings({
    protocol,
    duration: opts.duration ?? 10,
    bytes: opts.bytes ?? 0,
    blocks: opts.blocks ?? 0,
    parallel: opts.parallel ?? 1,
    reverse: !!opts.reverse,
    bidir: !!opts.bidir,
    ...(opts.len ? { len: opts.len } : {}),
    window: opts.window ?? 0,
    omit: opts.omit ?? 0,
    ...(opts.bitrate !== undefined ? { bitrate: opts.bitrate } : {}),
    getServerOutput: !!opts.getServerOutput,
    congestion: opts.congestion,
    udp64: !!opts.udp64,
    title: opts.title,
    tos: opts.tos ?? 0,
  });
  validateHost(opts.host);
  if (
    opts.port !== undefined &&
    (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535)
  ) {
    throw new HostopsError('IPERF_BAD_OPTION', `port must be 1..65535, got ${opts.port}`);
  }
  validateClientSettings(settings);
  if (opts.auth) checkClientAuth(opts.auth);
  const congestion =
    protocol === 'tcp'
      ? checkTcpOptions({ window: settings.window, congestion: settings.congestion })
      : undefined;
  const cookie = makeCookie();
  const sess = new Session(settings, 'c', opts.interval ?? 1);
  if (protocol === 'tcp') sess.tcpInfo = tcpInfoAvailable();
  const json: IperfJson = { start: {}, intervals: sess.intervals, end: {} };
  const fail = (
    code: string,
    msg: string,
    exit: 1 | 3 = 1,
    hint?: string,
    jsonError = msg,
  ): never => {
    json.error = jsonError;
    throw new IperfError(code, msg, json, exit, `${opts.host} port ${port}`, hint);
  };
  if (opts.signal?.aborted) fail('IPERF_ABORTED', 'the test was aborted');

  let ctrlSock: net.Socket;
  try {
    // -B binds the control connection too; --cport is for the data streams only (iperf3 3.12)
    ctrlSock = await connectTcp(
      opts.host,
      port,
      opts.family,
      opts.connectTimeoutMs ?? 10_000,
      undefined,
      { address: opts.bind, device: opts.device, mark: opts.mark },
    );
  } catch (e) {
    if (e instanceof HostopsError) return fail(e.code, e.message, 3);
    return fail('IPERF_CONNECT', `unable to connect to server: ${(e as Error).message}`);
  }
  const ctrl = new ControlChannel(ctrlSock, `${opts.host} port ${port}`);
  const remoteAddr = ctrlSock.remoteAddress ?? opts.host;
  const family: 4 | 6 = ctrlSock.remoteFamily === 'IPv6' ? 6 : 4;
  const tcpSocks: net.Socket[] = [];
  const udpSocks: dgram.Socket[] = [];
  const senders: (TcpSender | UdpSender)[] = [];
  let endTimer: NodeJS.Timeout | null = null;
  let idleTimer: NodeJS.Timeout | null = null;
  let idleFired = false;
  let remoteCpu: { total: number; user: number; system: number } | null = null;
  let remoteCongestion: string | undefined;

  const endTest = () => {
    if (sess.done || !sess.running) return;
    if (endTimer) clearTimeout(endTimer);
    for (const s of senders) s.stop();
    sess.finish();
    ctrl.writeState(State.TEST_END);
  };
  const budget = new SendBudget(settings.bytes, settings.blocks, () => setImmediate(endTest));
  const recvBudget = new SendBudget(settings.bytes, settings.blocks, () => setImmediate(endTest));
  const onAbort = () => {
    ctrl.writeState(State.CLIENT_TERMINATE);
    ctrl.close();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    ctrlSock.write(cookie);
    for (;;) {
      // While the test runs the control channel is quiet for its whole length.
      const timeout = sess.running ? 0 : 30_000;
      let state: number;
      try {
        state = await ctrl.readState(timeout);
      } catch (e) {
        if (opts.signal?.aborted) return fail('IPERF_ABORTED', 'the test was aborted');
        if (idleFired) return fail('IPERF_IDLE', 'idle timeout for receiving data');
        return fail((e as ControlError).code ?? 'IPERF_CONTROL', (e as Error).message);
      }
      switch (state) {
        case State.PARAM_EXCHANGE:
          if (protocol === 'udp') udpBlockSize();
          // the timestamp in the credentials is taken now: the server checks it against its clock
          ctrl.writeJson(
            toWire(
              settings,
              opts.auth
                ? encodeAuthToken(
                    opts.auth.username,
                    opts.auth.password,
                    opts.auth.publicKey,
                    Math.floor(Date.now() / 1000),
                    opts.auth.padding,
                  )
                : undefined,
            ),
          );
          break;
        case State.CREATE_STREAMS:
          await createStreams();
          json.start = buildStart({
            settings,
            streams: sess.streams,
            cookie: cookieText(cookie),
            connectingTo: { host: opts.host, port },
            sock: {
              mss: mssOf(ctrlSock),
              ...(tcpSocks[0] ? buffersOf(tcpSocks[0]) : { sndbuf: 0, rcvbuf: 0 }),
            },
          });
          opts.onEvent?.({ type: 'connected', start: json.start, settings });
          break;
        case State.TEST_START:
          sess.onInterval = (iv) => opts.onEvent?.({ type: 'interval', interval: iv, settings });
          sess.onOmitDone = () => {
            for (const s of senders) s.resetPacing();
            opts.onEvent?.({ type: 'omit-done' });
          };
          sess.begin();
          if (settings.duration > 0) {
            endTimer = setTimeout(endTest, (settings.duration + settings.omit) * 1000);
          }
          break;
        case State.TEST_RUNNING: {
          for (const s of senders) s.start();
          // A server that stops sending (or reading) must not hold us forever.
          const idleMs = opts.idleTimeoutMs ?? 120_000;
          let last = -1;
          let moved = Date.now();
          idleTimer = setInterval(
            () => {
              const total = sess.streams.reduce((a, x) => a + x.bytes, 0);
              if (total !== last) {
                last = total;
                moved = Date.now();
              } else if (sess.running && Date.now() - moved > idleMs) {
                idleFired = true;
                ctrl.close();
              }
            },
            Math.min(1000, idleMs / 2),
          );
          break;
        }
        case State.EXCHANGE_RESULTS: {
          endTest();
          ctrl.writeJson(
            sess.resultsJson(
              congestion ? { congestion_used: sess.congestionUsed ?? congestion } : {},
            ),
          );
          let peer: Record<string, unknown>;
          try {
            peer = await ctrl.readJson(Limits.maxResultsJsonClient, 30_000);
            const map = parsePeerStreams(peer);
            for (const st of sess.streams) {
              const r = map.get(st.id);
              if (!r) return fail('IPERF_STREAM_ID', `server results name no stream ${st.id}`);
              st.peer = r;
            }
          } catch (e) {
            return fail('IPERF_RESULTS', `unable to receive results: ${(e as Error).message}`);
          }
          remoteCpu = {
            total: signedNumber(peer.cpu_util_total),
            user: signedNumber(peer.cpu_util_user),
            system: signedNumber(peer.cpu_util_system),
          };
          sess.peerHasRetransmits = signedNumber(peer.sender_has_retransmits) === 1;
          if (typeof peer.congestion_used === 'string')
            remoteCongestion = peer.congestion_used.slice(0, 32);
          if (typeof peer.server_output_text === 'string')
            json.server_output_text = peer.server_output_text;
          if (peer.server_output_json && typeof peer.server_output_json === 'object')
            json.server_output_json = peer.server_output_json as Json;
          break;
        }
        case State.DISPLAY_RESULTS:
          ctrl.writeState(State.IPERF_DONE);
          json.end = buildEnd(sess, remoteCpu, {
            local: sess.congestionUsed ?? congestion,
            remote: remoteCongestion,
          });
          if (json.server_output_text === undefined) delete json.server_output_text;
          return json;
        case State.ACCESS_DENIED:
          return fail('IPERF_BUSY', 'the server is busy running a test. try again later');
        case State.SERVER_ERROR: {
          // i_errno, then errno; iperf3 3.12 sends no errno after a failed authentication and closes
          const ierr = (await ctrl.readExact(4, 5000).catch(() => Buffer.alloc(4))).readInt32BE(0);
          const errno = (await ctrl.readExact(4, 2000).catch(() => Buffer.alloc(4))).readInt32BE(0);
          if (ierr === IErr.IEAUTHTEST) {
            return fail(
              'IPERF_AUTH_REFUSED',
              opts.auth
                ? `test authorization failed: the server refused user ${JSON.stringify(opts.auth.username)}`
                : 'test authorization failed: the server requires authentication',
              1,
              opts.auth
                ? "check the user name and IPERF3_PASSWORD against the server's authorized users file, that --rsa-public-key-path is this server's key, " +
                    "and this host's clock (the server refuses credentials more than its --time-skew-threshold, 10 s by default, off its clock)"
                : "give --username and --rsa-public-key-path (the server's public key) and the password in IPERF3_PASSWORD",
              IErrText[ierr],
            );
          }
          return fail(
            'IPERF_SERVER_ERROR',
            `server error: ${IErrText[ierr] ?? `i_errno ${ierr}`}${errno ? ` (errno ${errno})` : ''}`,
          );
        }
        case State.SERVER_TERMINATE:
          return fail('IPERF_SERVER_TERMINATED', 'the server has terminated');
        default:
          return fail('IPERF_BAD_MESSAGE', `received an unknown control message (${state})`);
      }
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (endTimer) clearTimeout(endTimer);
    if (idleTimer) clearInterval(idleTimer);
    sess.clearTimers();
    for (const s of senders) s.stop();
    for (const s of tcpSocks) s.destroy();
    for (const s of udpSocks) {
      try {
        s.close();
      } catch {
        /* already closed */
      }
    }
    ctrl.close();
  }

  /**
   * As iperf3: without -l, a UDP test sends datagrams of the control connection's MSS (TCP_MAXSEG,
   * read once the cookie is out), so they cross the same path unfragmented; 1460 when it is unknown.
   * A larger -l is kept, with iperf3's warning.
   */
  function udpBlockSize(): void {
    const mss = mssOf(ctrlSock);
    const sane = mss >= Limits.minUdpLen && mss <= Limits.maxUdpLen ? mss : 0;
    if (!opts.len) settings.len = sane || DEFAULT_UDP_LEN;
    if (sane && settings.len > sane) {
      opts.onEvent?.({
        type: 'warning',
        message: `UDP block size ${settings.len} exceeds TCP MSS ${sane}, may result in fragmentation / drops`,
      });
    }
  }

  async function createStreams(): Promise<void> {
    const total = settings.bidir ? settings.parallel * 2 : settings.parallel;
    const block = protocol === 'tcp' ? randomBytes(settings.len) : Buffer.alloc(0);
    for (let i = 0; i < total; i++) {
      const sender = settings.bidir ? i < settings.parallel : !settings.reverse;
      const st = new StreamStats(streamId(i), sender, 5 + 2 * i);
      const pacer = settings.bitrate > 0 ? new Pacer(settings.bitrate) : null;
      const pacingMs = Math.max(1, settings.pacingTimer / 1000);
      const onRecv = (n: number) => {
        recvBudget.sentBytes += n;
        if (!recvBudget.unlimited && recvBudget.exhausted()) setImmediate(endTest);
      };
      if (protocol === 'tcp') {
        let s: net.Socket;
        try {
          s = await connectTcp(
            remoteAddr,
            port,
            family,
            10_000,
            sender ? undefined : sinkReader(st, () => sess.running, onRecv),
            {
              address: opts.bind,
              port: opts.cport ? opts.cport + i : undefined,
              device: opts.device,
              mark: opts.mark,
            },
          );
        } catch (e) {
          fail('IPERF_STREAM_CONNECT', `unable to connect stream: ${(e as Error).message}`);
          return;
        }
        tcpSocks.push(s);
        try {
          applyTcpOptions(s, { window: settings.window, congestion: settings.congestion });
          applyTos(tcpFd(s), settings.tos, family === 6);
        } catch (e) {
          if (e instanceof SockOptError) fail(e.code, e.message, 3);
          throw e;
        }
        st.tcpSock = s;
        s.setNoDelay(settings.noDelay);
        s.write(cookie);
        st.local = { host: plainAddr(s.localAddress), port: s.localPort ?? 0 };
        st.remote = { host: plainAddr(s.remoteAddress), port: s.remotePort ?? 0 };
        if (sender) senders.push(new TcpSender(s, st, block, budget, pacer, pacingMs));
      } else {
        let s: dgram.Socket;
        try {
          s = await udpConnect(remoteAddr, port, family, 10_000, settings.window, {
            address: opts.bind,
            port: opts.cport ? opts.cport + i : undefined,
            device: opts.device,
            mark: opts.mark,
          });
        } catch (e) {
          fail('IPERF_STREAM_CONNECT', `unable to connect UDP stream: ${(e as Error).message}`);
          return;
        }
        udpSocks.push(s);
        try {
          applyTos(udpFd(s), settings.tos, family === 6);
        } catch (e) {
          if (e instanceof SockOptError) fail(e.code, e.message, 3);
          throw e;
        }
        const a = s.address();
        const r = s.remoteAddress();
        st.local = { host: plainAddr(a.address), port: a.port };
        st.remote = { host: plainAddr(r.address), port: r.port };
        if (sender)
          senders.push(new UdpSender(s, st, settings.len, settings.udp64, budget, pacer, pacingMs));
        else countUdp(s, st, settings.udp64, () => sess.running, onRecv);
      }
      sess.streams.push(st);
    }
  }
}

/** A host is an IP address or a DNS name; anything else is refused before any lookup. */
export function validateHost(host: string): void {
  const name =
    /^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;
  if (typeof host !== 'string' || !(net.isIP(host) || name.test(host))) {
    throw new HostopsError(
      'IPERF_BAD_HOST',
      `not a host name or IP address: ${JSON.stringify(String(host).slice(0, 80))}`,
    );
  }
}

function validateClientSettings(s: TestSettings): void {
  const bad = (m: string) => {
    throw new HostopsError('IPERF_BAD_OPTION', m);
  };
  if (s.parallel < 1 || s.parallel > Limits.maxParallel)
    bad(`parallel streams must be 1..${Limits.maxParallel}`);
  if (s.protocol === 'udp' && (s.len < Limits.minUdpLen || s.len > Limits.maxUdpLen))
    bad(`UDP block size must be ${Limits.minUdpLen}..${Limits.maxUdpLen}`);
  if (s.protocol === 'tcp' && (s.len < 1 || s.len > Limits.maxTcpLen))
    bad(`TCP block size must be 1..${Limits.maxTcpLen}`);
  if (s.duration < 0 || s.duration > Limits.maxTime) bad(`duration must be 0..${Limits.maxTime} s`);
  if (s.omit < 0 || s.omit > Limits.maxOmit) bad(`omit must be 0..${Limits.maxOmit} s`);
  if (s.reverse && s.bidir) bad('-R and --bidir cannot be combined');
  if (s.udp64 === false && s.protocol === 'udp' && s.len < 12)
    bad('UDP block size must hold the 12-byte header');
}

/** Credentials iperf3 could never authenticate, or too long for the key, are refused before connecting. */
export function checkClientAuth(a: ClientAuth): void {
  const problem = credentialProblem(a.username, a.password);
  if (problem)
    throw new HostopsError('IPERF_AUTH_CREDENTIALS', problem, {
      exitCode: 2,
      hint: 'iperf3 servers parse the credentials with sscanf("%s")',
    });
  try {
    encodeAuthToken(a.username, a.password, a.publicKey, Math.floor(Date.now() / 1000), a.padding);
  } catch (e) {
    throw new HostopsError(
      'IPERF_AUTH_CREDENTIALS',
      `the user name and password are too long for the RSA key to encrypt (${(e as Error).message})`,
      {
        exitCode: 2,
        hint: 'use shorter credentials, or a larger key on the server (2048 bits hold about 200 bytes)',
      },
    );
  }
}
