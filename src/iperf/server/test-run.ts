/**
 * One test's state, shared by its stages (params, streams, run, results, teardown): the control
 * channel, the settings once accepted, the data sockets and senders, and how it may end.
 */
import type dgram from 'node:dgram';
import type net from 'node:net';
import { sourceKey } from '../admission.js';
import type { ControlChannel } from '../ctrl.js';
import type { TestSettings } from '../params.js';
import type { IperfJson } from '../report.js';
import type { Session } from '../session.js';
import type { SendBudget, TcpSender } from '../tcp-data.js';
import type { UdpAcceptor, UdpSender } from '../udp-data.js';
import { ServerOutput } from './output.js';
import type { Active, ServerState } from './state.js';
import { addStream } from './streams.js';

export class TestRun implements Active {
  readonly peer: string;
  readonly source: string;
  awaitingParamsSince: number | null = Date.now();
  acceptingStreams = false;
  /** What this test printed, for --get-server-output. */
  readonly output: ServerOutput;
  settings: TestSettings | null = null;
  sess: Session | null = null;
  /** Data streams the client will open, and the index the next one gets. */
  expected = 0;
  nextIndex = 0;
  readonly dataSocks: net.Socket[] = [];
  readonly udpSocks: dgram.Socket[] = [];
  readonly senders: (TcpSender | UdpSender)[] = [];
  acceptor: UdpAcceptor | null = null;
  watchdog: NodeJS.Timeout | null = null;
  /** The payload TCP senders repeat, and the -n/-k budget they share. */
  block: Buffer | null = null;
  budget: SendBudget | null = null;
  /** Why another client took the server before this test sent its parameters. */
  preempted: string | null = null;
  /** iperf3 -1 serves on after a refused authentication: it does not count as the one test */
  authFailed = false;
  /** The -J start object, once the streams are up. */
  start: IperfJson['start'] = {};
  /** The one control read that covers the whole test after stream setup (see createStreams). */
  nextMsg: Promise<number> = Promise.resolve(0);
  /** Settles when every expected stream is added, or rejects when one cannot be set up. */
  readonly streamsPromise: Promise<void>;
  streamsReady: () => void = () => {};
  streamsFailed: (e: Error) => void = () => {};

  constructor(
    readonly srv: ServerState,
    readonly ctrl: ControlChannel,
    readonly cookie: Buffer,
  ) {
    this.peer = ctrl.peer;
    this.output = new ServerOutput((line) => srv.emit({ type: 'line', line }));
    this.streamsPromise = new Promise<void>((r, j) => {
      this.streamsReady = r;
      this.streamsFailed = j;
    });
    this.streamsPromise.catch(() => {});
    this.source = sourceKey(ctrl.socket.remoteAddress);
  }

  say(line: string): void {
    this.output.say(line);
  }

  preempt(reason: string): void {
    this.preempted = reason;
    if (this.srv.active === this) this.srv.active = null;
    this.ctrl.socket.destroy();
  }

  offer(sock: net.Socket): void {
    if (!this.settings || !this.sess || this.nextIndex >= this.expected) {
      this.srv.reject(sock, 'unexpected stream');
      return;
    }
    addStream(this, sock, null);
  }

  /** Closes every data socket (at the test's end and again in teardown: twice is harmless). */
  closeData(): void {
    for (const d of this.dataSocks) d.destroy();
    for (const u of this.udpSocks) {
      try {
        u.close();
      } catch {
        /* closed */
      }
    }
  }
}
