/**
 * The test the client will ask for, checked before anything is sent: its settings, cookie,
 * session and the -J document that a failure fills in.
 */
import { HostopsError } from '../../lib/errors.js';
import type { ClientOptions } from '../client.js';
import { DEFAULT_PORT } from '../constants.js';
import { makeCookie } from '../cookie.js';
import { defaultSettings, type TestSettings } from '../params.js';
import type { IperfJson } from '../report.js';
import { Session } from '../session.js';
import { checkTcpOptions } from '../sockopt.js';
import { tcpInfoAvailable } from '../tcp-info.js';
import { checkClientAuth, validateClientSettings, validateHost } from './checks.js';
import { IperfError } from './iperf-error.js';

export class ClientPlan {
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
  readonly settings: TestSettings;
  /** The congestion control our TCP sockets will run (checked against the host's). */
  readonly congestion: string | undefined;
  readonly cookie: Buffer;
  readonly sess: Session;
  readonly json: IperfJson;

  constructor(readonly opts: ClientOptions) {
    this.port = opts.port ?? DEFAULT_PORT;
    const protocol = opts.protocol ?? 'tcp';
    this.protocol = protocol;
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
    this.settings = settings;
    validateHost(opts.host);
    if (
      opts.port !== undefined &&
      (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535)
    ) {
      throw new HostopsError('IPERF_BAD_OPTION', `port must be 1..65535, got ${opts.port}`);
    }
    validateClientSettings(settings);
    if (opts.auth) checkClientAuth(opts.auth);
    this.congestion =
      protocol === 'tcp'
        ? checkTcpOptions({ window: settings.window, congestion: settings.congestion })
        : undefined;
    this.cookie = makeCookie();
    this.sess = new Session(settings, 'c', opts.interval ?? 1);
    if (protocol === 'tcp') this.sess.tcpInfo = tcpInfoAvailable();
    this.json = { start: {}, intervals: this.sess.intervals, end: {} };
  }

  /** Ends the test with an IperfError that carries the -J document, "error" set. */
  fail(code: string, msg: string, exit: 1 | 3 = 1, hint?: string, jsonError = msg): never {
    this.json.error = jsonError;
    throw new IperfError(code, msg, this.json, exit, `${this.opts.host} port ${this.port}`, hint);
  }
}
