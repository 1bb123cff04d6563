/**
 * The iperf3 client: control connection, parameter exchange, stream creation, the timed test,
 * results exchange. Speaks the 3.12 wire protocol, so it works against real iperf3 servers.
 */
import type { KeyObject } from 'node:crypto';
import type { Socket } from 'node:net';
import { HostopsError } from '../lib/errors.js';
import type { RsaPadding } from './auth.js';
import { State } from './constants.js';
import type { ControlError } from './ctrl.js';
import type { TestSettings } from './params.js';
import type { IperfJson } from './report.js';
import type { Json } from './session.js';
import { ClientRun } from './client/client-run.js';
import { connectTcp } from './client/connect.js';
import { sendParams } from './client/params.js';
import { ClientPlan } from './client/plan.js';
import { displayResults, exchangeResults } from './client/results.js';
import { beginTest, startRunning } from './client/run.js';
import { serverError } from './client/server-error.js';
import { announceStreams, createStreams } from './client/streams.js';

export { IperfError } from './client/iperf-error.js';
export { checkClientAuth, validateHost } from './client/checks.js';

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

/**
 * One test as iperf3's client runs it: check the options, connect and send the cookie, then
 * answer each state the server sends, one stage per protocol phase (client/*.ts).
 */
export async function runClient(opts: ClientOptions): Promise<IperfJson> {
  const plan = new ClientPlan(opts);
  if (opts.signal?.aborted) plan.fail('IPERF_ABORTED', 'the test was aborted');
  let ctrlSock: Socket;
  try {
    // -B binds the control connection too; --cport is for the data streams only (iperf3 3.12)
    ctrlSock = await connectTcp(
      opts.host,
      plan.port,
      opts.family,
      opts.connectTimeoutMs ?? 10_000,
      undefined,
      { address: opts.bind, device: opts.device, mark: opts.mark },
    );
  } catch (e) {
    if (e instanceof HostopsError) return plan.fail(e.code, e.message, 3);
    return plan.fail('IPERF_CONNECT', `unable to connect to server: ${(e as Error).message}`);
  }
  const c = new ClientRun(plan, ctrlSock);
  opts.signal?.addEventListener('abort', c.onAbort, { once: true });
  try {
    ctrlSock.write(c.cookie);
    for (;;) {
      const done = await onState(c, await nextState(c));
      if (done) return done;
    }
  } finally {
    c.teardown();
  }
}

/** The server's next state; a closed or silent channel ends the test with why. */
async function nextState(c: ClientRun): Promise<number> {
  // While the test runs the control channel is quiet for its whole length.
  const timeout = c.sess.running ? 0 : 30_000;
  try {
    return await c.ctrl.readState(timeout);
  } catch (e) {
    if (c.opts.signal?.aborted) return c.fail('IPERF_ABORTED', 'the test was aborted');
    if (c.idleFired) return c.fail('IPERF_IDLE', 'idle timeout for receiving data');
    return c.fail((e as ControlError).code ?? 'IPERF_CONTROL', (e as Error).message);
  }
}

/** One state from the server: its stage runs; the results once DISPLAY_RESULTS came. */
async function onState(c: ClientRun, state: number): Promise<IperfJson | null> {
  switch (state) {
    case State.PARAM_EXCHANGE:
      sendParams(c);
      return null;
    case State.CREATE_STREAMS:
      await createStreams(c);
      announceStreams(c);
      return null;
    case State.TEST_START:
      beginTest(c);
      return null;
    case State.TEST_RUNNING:
      startRunning(c);
      return null;
    case State.EXCHANGE_RESULTS:
      await exchangeResults(c);
      return null;
    case State.DISPLAY_RESULTS:
      return displayResults(c);
    case State.ACCESS_DENIED:
      return c.fail('IPERF_BUSY', 'the server is busy running a test. try again later');
    case State.SERVER_ERROR:
      return serverError(c);
    case State.SERVER_TERMINATE:
      return c.fail('IPERF_SERVER_TERMINATED', 'the server has terminated');
    default:
      return c.fail('IPERF_BAD_MESSAGE', `received an unknown control message (${state})`);
  }
}
