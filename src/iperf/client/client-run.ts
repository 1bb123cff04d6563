/**
 * One client test once the control connection is up, shared by its stages (params, streams,
 * run, results): the control channel, data sockets, senders, timers, and how the test ends.
 */
import type dgram from 'node:dgram';
import type net from 'node:net';
import type { ClientOptions } from '../client.js';
import { State } from '../constants.js';
import { ControlChannel } from '../ctrl.js';
import type { TestSettings } from '../params.js';
import type { IperfJson } from '../report.js';
import type { Session } from '../session.js';
import { SendBudget, type TcpSender } from '../tcp-data.js';
import type { UdpSender } from '../udp-data.js';
import type { ClientPlan } from './plan.js';

export class ClientRun {
  readonly opts: ClientOptions;
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
  readonly settings: TestSettings;
  readonly congestion: string | undefined;
  readonly cookie: Buffer;
  readonly sess: Session;
  readonly json: IperfJson;
  readonly ctrl: ControlChannel;
  /** Where the data streams connect: the control connection's peer, in its family. */
  readonly remoteAddr: string;
  readonly family: 4 | 6;
  readonly tcpSocks: net.Socket[] = [];
  readonly udpSocks: dgram.Socket[] = [];
  readonly senders: (TcpSender | UdpSender)[] = [];
  endTimer: NodeJS.Timeout | null = null;
  idleTimer: NodeJS.Timeout | null = null;
  /** The idle watchdog closed the control channel. */
  idleFired = false;
  remoteCpu: { total: number; user: number; system: number } | null = null;
  remoteCongestion: string | undefined;
  /** -n / -k: what our senders may send, and what our receivers count towards the end. */
  readonly budget: SendBudget;
  readonly recvBudget: SendBudget;

  constructor(
    private readonly plan: ClientPlan,
    readonly ctrlSock: net.Socket,
  ) {
    this.opts = plan.opts;
    this.port = plan.port;
    this.protocol = plan.protocol;
    this.settings = plan.settings;
    this.congestion = plan.congestion;
    this.cookie = plan.cookie;
    this.sess = plan.sess;
    this.json = plan.json;
    this.ctrl = new ControlChannel(ctrlSock, `${this.opts.host} port ${this.port}`);
    this.remoteAddr = ctrlSock.remoteAddress ?? this.opts.host;
    this.family = ctrlSock.remoteFamily === 'IPv6' ? 6 : 4;
    const s = this.settings;
    this.budget = new SendBudget(s.bytes, s.blocks, () => setImmediate(this.endTest));
    this.recvBudget = new SendBudget(s.bytes, s.blocks, () => setImmediate(this.endTest));
  }

  fail(code: string, msg: string, exit: 1 | 3 = 1, hint?: string, jsonError = msg): never {
    return this.plan.fail(code, msg, exit, hint, jsonError);
  }

  /** Our side of the test's end (time up, -n/-k reached, or the server asks for results). */
  readonly endTest = (): void => {
    const sess = this.sess;
    if (sess.done || !sess.running) return;
    if (this.endTimer) clearTimeout(this.endTimer);
    for (const s of this.senders) s.stop();
    sess.finish();
    this.ctrl.writeState(State.TEST_END);
  };

  /** The signal aborted: tell the server, as iperf3 does on SIGINT. */
  readonly onAbort = (): void => {
    this.ctrl.writeState(State.CLIENT_TERMINATE);
    this.ctrl.close();
  };

  teardown(): void {
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    if (this.endTimer) clearTimeout(this.endTimer);
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.sess.clearTimers();
    for (const s of this.senders) s.stop();
    for (const s of this.tcpSocks) s.destroy();
    for (const s of this.udpSocks) {
      try {
        s.close();
      } catch {
        /* already closed */
      }
    }
    this.ctrl.close();
  }
}
