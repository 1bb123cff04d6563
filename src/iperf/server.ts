/**
 * The iperf3 server, built to face the internet: one test at a time (others get ACCESS_DENIED),
 * a deadline on every control read, capped JSON lengths, checked cookies and parameters, a cap on
 * half-open connections, watchdogs on idle data streams, and it keeps serving after any client.
 * Silent connections (no cookie yet, or a cookie and no parameters) cannot lock real clients out:
 * each source holds a few at most, the oldest silent one is evicted to make room, and a test that
 * sits in the parameter exchange past a grace period gives way to the next client with a cookie.
 */
import net from 'node:net';
import type dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { COOKIE_SIZE, DEFAULT_PORT, IErr, Limits, State } from './constants.js';
import { cookieText, isPlausibleCookie } from './cookie.js';
import { ControlChannel } from './ctrl.js';
import { ParamError, fromWire, type TestSettings } from './params.js';
import { buildEnd, buildStart, type IperfJson } from './report.js';
import { Session, type Json } from './session.js';
import { StreamStats, parsePeerStreams, plainAddr, signedNumber, streamId } from './stream.js';
import { Pacer, SendBudget, TcpSender, adoptAsSink } from './tcp-data.js';
import { UdpAcceptor, UdpSender, countUdp } from './udp-data.js';
import {
  SockOptError,
  applyTcpOptions,
  applyTos,
  buffersOf,
  defaultCongestion,
  mssOf,
} from './sockopt.js';
import { tcpFd, udpFd } from './native-sock.js';
import { tcpInfoAvailable } from './tcp-info.js';
import { Admission, sourceKey, type SilentConn } from './admission.js';
import { listenError } from '../lib/listen-error.js';
import { authorize, type AuthConfig } from './auth.js';
import { BANNER, connectedLines, intervalLines, summaryLines } from './text.js';

export interface ServerOptions {
  port?: number;
  /** Address to bind; default all addresses (IPv6 dual-stack where available). */
  host?: string;
  /** Interval report period (-i) in seconds; 0 disables. Default 1. */
  interval?: number;
  /** Serve one test, then close (-1). */
  oneOff?: boolean;
  /** Server-side -J: results as JSON, and server_output_json for --get-server-output clients. */
  json?: boolean;
  /** Deadline for each control message during setup and results exchange (ms). Default 10 s. */
  controlTimeoutMs?: number;
  /** A test whose data streams move nothing for this long is ended (ms). Default 30 s. */
  dataIdleTimeoutMs?: number;
  /** Longest test accepted, seconds (time and, for -n/-k tests, wall clock). Default 3600. */
  maxDuration?: number;
  maxParallel?: number;
  /** Total bit/s a client may request; 0 = no limit. */
  maxBitrate?: number;
  /** Connections still sending their cookie at once; beyond it the busiest source's oldest is evicted. Default 32. */
  maxPending?: number;
  /** Connections still sending their cookie from one source (IPv4 address or IPv6 /64). Default 4. */
  maxPendingPerSource?: number;
  /** A test still waiting for its parameters this long (ms) gives way to another client's cookie. Default 2 s. */
  paramGraceMs?: number;
  /** iperf3's RSA authentication (--rsa-private-key-path, --authorized-users-path): tests without valid credentials are refused. */
  auth?: AuthConfig;
  onEvent?: (e: ServerEvent) => void;
}

export type ServerEvent =
  | { type: 'listening'; port: number; test: number }
  | { type: 'line'; line: string }
  | { type: 'result'; json: IperfJson; settings: TestSettings; peer: string }
  | { type: 'rejected'; peer: string; reason: string }
  /** A client that failed authentication (refused as iperf3 refuses it: "test authorization failed"). */
  | { type: 'auth-failed'; peer: string; reason: string };

export interface IperfServer {
  port: number;
  /** Tests completed (with results exchanged). */
  readonly completed: number;
  readonly busy: boolean;
  close(): Promise<void>;
}

interface Active {
  cookie: Buffer;
  /** sourceKey() of the control connection. */
  source: string;
  /** Set while the test waits for the client's parameters (ms since epoch), null once they came. */
  awaitingParamsSince: number | null;
  /** Ends a test that never sent its parameters, to let another client in. */
  preempt(reason: string): void;
  acceptingStreams: boolean;
  offer(sock: net.Socket): void;
}

export async function startServer(opts: ServerOptions = {}): Promise<IperfServer> {
  const ctlTimeout = opts.controlTimeoutMs ?? 10_000;
  const dataIdle = opts.dataIdleTimeoutMs ?? 30_000;
  const maxDuration = opts.maxDuration ?? 3600;
  const maxPending = opts.maxPending ?? 32;
  const paramGrace = opts.paramGraceMs ?? 2000;
  const admission = new Admission(maxPending, opts.maxPendingPerSource ?? 4);
  const interval = opts.interval ?? 1;
  const emit = (e: ServerEvent) => {
    try {
      opts.onEvent?.(e);
    } catch {
      /* a listener must not stop the server */
    }
  };
  let active: Active | null = null;
  let testNo = 1;
  let completed = 0;
  let closing = false;
  const all = new Set<net.Socket>();

  const server = net.createServer({ noDelay: true });
  server.maxConnections = maxPending + Limits.maxParallel * 2 + 4;

  const banner = () => {
    for (const l of [BANNER, `Server listening on ${port} (test #${testNo})`, BANNER])
      emit({ type: 'line', line: l });
    emit({ type: 'listening', port, test: testNo });
  };

  const reject = (sock: net.Socket, reason: string) => {
    emit({ type: 'rejected', peer: `${sock.remoteAddress} port ${sock.remotePort}`, reason });
    sock.end(Buffer.from([0xff]));
    setTimeout(() => sock.destroy(), 1000).unref();
  };

  server.on('connection', (sock) => {
    all.add(sock);
    sock.on('close', () => all.delete(sock));
    sock.on('error', () => {});
    if (closing) {
      sock.destroy();
      return;
    }
    // A test still in its parameter exchange may yet give way (see onCookie): hear the cookie first.
    if (active && !active.acceptingStreams && active.awaitingParamsSince === null) {
      reject(sock, 'busy');
      return;
    }
    const ch = new ControlChannel(sock);
    const silent: SilentConn = {
      source: sourceKey(sock.remoteAddress),
      since: Date.now(),
      evict: (reason) => {
        emit({ type: 'rejected', peer: ch.peer, reason: `evicted: ${reason}` });
        sock.destroy();
      },
    };
    // the running test's own streams (same source, during stream setup) never evict each other
    const ownStream = active !== null && active.acceptingStreams && silent.source === active.source;
    if (!ownStream) admission.admit(silent);
    ch.readExact(COOKIE_SIZE, ctlTimeout).then(
      (cookie) => {
        admission.release(silent);
        try {
          onCookie(sock, ch, cookie);
        } catch (e) {
          // Nothing a client sends may take the server down; drop this connection only.
          emit({
            type: 'rejected',
            peer: ch.peer,
            reason: `internal error: ${(e as Error).message}`,
          });
          sock.destroy();
        }
      },
      () => {
        admission.release(silent);
        sock.destroy();
      },
    );
  });

  /** A connection sent its 37 bytes: a stream of the running test, a new test, or refused. */
  function onCookie(sock: net.Socket, ch: ControlChannel, cookie: Buffer): void {
    if (
      active &&
      active.awaitingParamsSince !== null &&
      Date.now() - active.awaitingParamsSince >= paramGrace &&
      isPlausibleCookie(cookie) &&
      !cookie.equals(active.cookie)
    ) {
      active.preempt(`sent no parameters for ${paramGrace} ms and another client is waiting`);
    }
    if (active) {
      if (active.acceptingStreams && cookie.equals(active.cookie) && ch.available === 0) {
        sock.removeAllListeners('data');
        sock.removeAllListeners('end');
        active.offer(sock);
      } else reject(sock, 'busy or wrong cookie');
      return;
    }
    if (!isPlausibleCookie(cookie)) {
      emit({ type: 'rejected', peer: ch.peer, reason: 'not an iperf3 cookie' });
      sock.destroy();
      return;
    }
    runTest(ch, cookie).catch(() => {});
  }

  async function runTest(ctrl: ControlChannel, cookie: Buffer): Promise<void> {
    const peer = ctrl.peer;
    const dataSocks: net.Socket[] = [];
    const udpSocks: dgram.Socket[] = [];
    const senders: (TcpSender | UdpSender)[] = [];
    let acceptor: UdpAcceptor | null = null;
    let watchdog: NodeJS.Timeout | null = null;
    // The server's own text for --get-server-output, bounded: the first and last 2000 lines.
    const head: string[] = [];
    const tail: string[] = [];
    let dropped = 0;
    const say = (l: string) => {
      if (head.length < 2000) head.push(l);
      else {
        tail.push(l);
        if (tail.length > 2000) {
          tail.shift();
          dropped++;
        }
      }
      emit({ type: 'line', line: l });
    };
    const outputText = () =>
      [...head, ...(dropped ? [`[... ${dropped} lines omitted ...]`] : []), ...tail].join('\n') +
      '\n';
    let streamsReady: () => void = () => {};
    let streamsFailed: (e: Error) => void = () => {};
    const streamsPromise = new Promise<void>((r, j) => {
      streamsReady = r;
      streamsFailed = j;
    });
    streamsPromise.catch(() => {});
    let settings: TestSettings | null = null;
    let sess: Session | null = null;
    let expected = 0;
    let nextIndex = 0;
    let preempted: string | null = null;
    // iperf3 -1 serves on after a refused authentication: it does not count as the one test
    let authFailed = false;

    const me: Active = {
      cookie,
      source: sourceKey(ctrl.socket.remoteAddress),
      awaitingParamsSince: Date.now(),
      preempt(reason) {
        preempted = reason;
        if (active === me) active = null;
        ctrl.socket.destroy();
      },
      acceptingStreams: false,
      offer(sock) {
        if (!settings || !sess || nextIndex >= expected) {
          reject(sock, 'unexpected stream');
          return;
        }
        addStream(sock, null);
      },
    };
    active = me;

    const addStream = (
      tcp: net.Socket | null,
      udp: { sock: dgram.Socket; peer: { address: string; port: number } } | null,
    ) => {
      const s = settings!;
      const i = nextIndex++;
      // Server counts its receiving streams first (bidir: the client's sending streams come first).
      const sender = s.bidir ? i >= s.parallel : s.reverse;
      const st = new StreamStats(streamId(i), sender, 5 + 2 * i);
      const pacer = s.bitrate > 0 ? new Pacer(s.bitrate) : null;
      const pacingMs = Math.max(1, s.pacingTimer / 1000);
      if (tcp) {
        // -w / -C from the client's parameters, on each data socket (as iperf3 does on its listener).
        try {
          applyTcpOptions(tcp, { window: s.window, congestion: s.congestion });
          // the client's -S / --dscp marks what this end sends too (iperf3 sets it on every stream)
          applyTos(tcpFd(tcp), s.tos, tcp.remoteFamily === 'IPv6');
        } catch (e) {
          tcp.destroy();
          if (!(e instanceof SockOptError)) throw e;
          ctrl.writeServerError(e.ierrno, e.errno);
          streamsFailed(e);
          return;
        }
        if (!sender) tcp = adoptAsSink(tcp, st, () => sess!.running);
        st.tcpSock = tcp;
        dataSocks.push(tcp);
        tcp.setNoDelay(s.noDelay);
        st.local = { host: plainAddr(tcp.localAddress), port: tcp.localPort ?? 0 };
        st.remote = { host: plainAddr(tcp.remoteAddress), port: tcp.remotePort ?? 0 };
        if (sender) {
          senders.push(new TcpSender(tcp, st, block!, budget!, pacer, pacingMs));
          tcp.on('data', () => {});
          tcp.resume();
        }
      } else if (udp) {
        udpSocks.push(udp.sock);
        try {
          applyTos(udpFd(udp.sock), s.tos, family === 6);
        } catch (e) {
          if (!(e instanceof SockOptError)) throw e;
          ctrl.writeServerError(e.ierrno, e.errno);
          streamsFailed(e);
          return;
        }
        const a = udp.sock.address();
        st.local = { host: plainAddr(a.address), port: a.port };
        st.remote = { host: plainAddr(udp.peer.address), port: udp.peer.port };
        if (sender)
          senders.push(new UdpSender(udp.sock, st, s.len, s.udp64, budget!, pacer, pacingMs));
        else countUdp(udp.sock, st, s.udp64, () => sess!.running);
      }
      sess!.streams.push(st);
      if (nextIndex === expected) streamsReady();
    };
    let block: Buffer | null = null;
    let budget: SendBudget | null = null;

    const deadline = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
      new Promise((resolve, rejectP) => {
        const t = setTimeout(() => rejectP(new Error(`timed out waiting for ${what}`)), ms);
        p.then(
          (v) => {
            clearTimeout(t);
            resolve(v);
          },
          (e) => {
            clearTimeout(t);
            rejectP(e);
          },
        );
      });

    try {
      ctrl.writeState(State.PARAM_EXCHANGE);
      let params: Record<string, unknown>;
      try {
        params = await ctrl.readJson(Limits.maxParamsJson, ctlTimeout);
        me.awaitingParamsSince = null;
        if (preempted) throw new Error(preempted); // the parameters came in the same tick as the next client
        if (opts.auth) {
          // before the parameters are judged: a stranger learns nothing of the server's limits
          const v = authorize(params.authtoken, opts.auth);
          if (!v.ok) {
            authFailed = true;
            // exactly what iperf3 3.12 sends: SERVER_ERROR and i_errno, no errno, then the close
            const b = Buffer.alloc(5);
            b.writeInt8(State.SERVER_ERROR, 0);
            b.writeInt32BE(IErr.IEAUTHTEST, 1);
            ctrl.socket.write(b);
            emit({ type: 'auth-failed', peer, reason: v.reason });
            throw new Error(`test authorization failed: ${v.reason}`);
          }
        }
        settings = fromWire(params, {
          maxDuration,
          maxParallel: opts.maxParallel ?? Limits.maxParallel,
          maxBitrate: opts.maxBitrate ?? 0,
        });
      } catch (e) {
        me.awaitingParamsSince = null;
        if (preempted) throw new Error(preempted);
        if (authFailed) throw e;
        const ierr = e instanceof ParamError ? e.ierrno : IErr.IERECVPARAMS;
        ctrl.writeServerError(ierr, 0);
        throw e;
      }
      const s = settings;
      // as iperf3, the connection is announced once its parameters are accepted
      say(
        `Accepted connection from ${plainAddr(ctrl.socket.remoteAddress)}, port ${ctrl.socket.remotePort}`,
      );
      sess = new Session(s, 's', interval);
      if (s.protocol === 'tcp') sess.tcpInfo = tcpInfoAvailable();
      expected = s.bidir ? s.parallel * 2 : s.parallel;
      if (s.protocol === 'tcp' && (s.reverse || s.bidir)) block = randomBytes(s.len);
      const endBudget = () => {};
      budget = new SendBudget(s.bytes, s.blocks, endBudget);
      if (s.protocol === 'udp') {
        acceptor = new UdpAcceptor(opts.host, port, family, s.window, (sock, p) => {
          try {
            if (nextIndex < expected) addStream(null, { sock, peer: p });
            else sock.close();
          } catch {
            try {
              sock.close();
            } catch {
              /* closed */
            }
          }
        });
        await acceptor.listen();
      }
      me.acceptingStreams = true;
      ctrl.writeState(State.CREATE_STREAMS);
      // One read of the control channel covers the rest of the test: a byte during stream setup is
      // an error, after it the client's TEST_END (or CLIENT_TERMINATE, or EOF) ends the test.
      const nextMsg = ctrl.readState(0);
      nextMsg.catch(() => {});
      await deadline(
        Promise.race([
          streamsPromise,
          nextMsg.then(() => {
            throw new Error('client spoke during stream setup');
          }),
        ]),
        ctlTimeout,
        'data streams',
      );
      me.acceptingStreams = false;
      acceptor?.close();
      acceptor = null;
      const start = buildStart({
        settings: s,
        streams: sess.streams,
        cookie: cookieText(cookie),
        accepted: { host: plainAddr(ctrl.socket.remoteAddress), port: ctrl.socket.remotePort ?? 0 },
        sock: {
          mss: mssOf(ctrl.socket),
          ...(dataSocks[0] ? buffersOf(dataSocks[0]) : { sndbuf: 0, rcvbuf: 0 }),
        },
      });
      for (const l of connectedLines(start)) say(l);
      let ivIndex = 0;
      sess.onInterval = (iv) => {
        if (!opts.json) for (const l of intervalLines(iv, s, 's', ivIndex++)) say(l);
      };
      sess.onOmitDone = () => {
        for (const x of senders) x.resetPacing();
      };
      ctrl.writeState(State.TEST_START);
      sess.begin();
      ctrl.writeState(State.TEST_RUNNING);
      for (const x of senders) x.start();

      // Watchdog: data streams that move nothing for dataIdle end the test; so does a test that
      // outlives its own length (or maxDuration for -n/-k tests) by more than the grace period.
      let lastBytes = -1;
      let lastMove = Date.now();
      const hardEnd =
        Date.now() + ((s.duration > 0 ? s.duration : maxDuration) + s.omit) * 1000 + dataIdle;
      let watchdogFired: (why: string) => void = () => {};
      const watchdogP = new Promise<never>((_, rej) => {
        watchdogFired = (why) => rej(new Error(why));
      });
      watchdog = setInterval(() => {
        const total = sess!.streams.reduce((a, x) => a + x.bytes, 0);
        if (total !== lastBytes) {
          lastBytes = total;
          lastMove = Date.now();
        }
        if (Date.now() - lastMove > dataIdle) watchdogFired('idle timeout for receiving data');
        else if (Date.now() > hardEnd) watchdogFired('test ran past its length');
      }, 500);
      watchdogP.catch(() => {});

      const msg = await Promise.race([nextMsg, watchdogP]);
      if (msg === State.CLIENT_TERMINATE) throw new Error('the client has terminated');
      if (msg !== State.TEST_END) {
        ctrl.writeServerError(IErr.IEMESSAGE, 0);
        throw new Error(`unexpected control message ${msg}`);
      }
      clearInterval(watchdog);
      watchdog = null;
      for (const x of senders) x.stop();
      sess.finish();
      for (const d of dataSocks) d.destroy();
      for (const u of udpSocks) {
        try {
          u.close();
        } catch {
          /* closed */
        }
      }
      const localCong =
        s.protocol === 'tcp' ? (sess.congestionUsed ?? defaultCongestion()) : undefined;
      const endLocal = buildEnd(sess, null, { local: localCong });
      if (!opts.json) for (const l of summaryLines(endLocal, s, 's')) say(l);

      ctrl.writeState(State.EXCHANGE_RESULTS);
      const clientResults = await ctrl.readJson(Limits.maxResultsJsonServer, ctlTimeout);
      const map = parsePeerStreams(clientResults);
      for (const st of sess.streams) {
        const r = map.get(st.id);
        if (!r) {
          ctrl.writeServerError(IErr.IESTREAMID, 0);
          throw new Error(`client results name no stream ${st.id}`);
        }
        st.peer = r;
      }
      const remoteCpu = {
        total: signedNumber(clientResults.cpu_util_total),
        user: signedNumber(clientResults.cpu_util_user),
        system: signedNumber(clientResults.cpu_util_system),
      };
      sess.peerHasRetransmits = signedNumber(clientResults.sender_has_retransmits) === 1;
      const remoteCong =
        typeof clientResults.congestion_used === 'string'
          ? clientResults.congestion_used.slice(0, 32)
          : undefined;
      const json: IperfJson = {
        start,
        intervals: sess.intervals,
        end: buildEnd(sess, remoteCpu, { local: localCong, remote: remoteCong }),
      };
      const extra: Json = {};
      if (localCong) extra.congestion_used = localCong;
      if (s.getServerOutput) {
        if (opts.json) extra.server_output_json = json;
        else extra.server_output_text = outputText();
      }
      ctrl.writeJson(sess.resultsJson(extra));
      ctrl.writeState(State.DISPLAY_RESULTS);
      completed++;
      emit({ type: 'result', json, settings: s, peer });
      // IPERF_DONE (or just the close) ends it; either way we are finished.
      await ctrl.readState(ctlTimeout).catch(() => 0);
    } catch (e) {
      if (!authFailed) emit({ type: 'rejected', peer, reason: (e as Error).message });
    } finally {
      if (watchdog) clearInterval(watchdog);
      sess?.clearTimers();
      for (const x of senders) x.stop();
      for (const d of dataSocks) d.destroy();
      for (const u of udpSocks) {
        try {
          u.close();
        } catch {
          /* closed */
        }
      }
      acceptor?.close();
      ctrl.close();
      ctrl.socket.destroy();
      // A preempted test was never a test: the next one already holds `active` and the test number.
      if (!preempted) {
        active = null;
        testNo++;
        if (opts.oneOff && !authFailed) void api.close();
        else if (!closing) banner();
      }
    }
  }

  // UDP streams arrive on the same port: with no -B the TCP listener is dual-stack, so the UDP
  // one is a dual-stack IPv6 socket too (IPv4 peers appear as ::ffff:a.b.c.d).
  const family: 4 | 6 = opts.host ? (net.isIPv6(opts.host) ? 6 : 4) : 6;
  await new Promise<void>((resolve, rejectP) => {
    server.once('error', (e) =>
      rejectP(
        listenError(
          e,
          'iperf server',
          opts.host,
          opts.port ?? DEFAULT_PORT,
          'choose another port with -p (and address with -B), or stop the program holding it (ss -ltnp)',
        ),
      ),
    );
    server.listen({ port: opts.port ?? DEFAULT_PORT, host: opts.host }, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  server.on('error', () => {});
  const port = (server.address() as net.AddressInfo).port;
  banner();

  const api: IperfServer = {
    port,
    get completed() {
      return completed;
    },
    get busy() {
      return active !== null;
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const s of all) s.destroy();
        server.close(() => resolve());
      }),
  };
  return api;
}
