/**
 * Test parameters: what a client asks for, as the params JSON iperf3 exchanges
 * (send_parameters / get_parameters), with the server-side checks iperf3 3.18+ makes
 * (ranges and key types) so a hostile client cannot ask for absurd tests.
 */
import {
  DEFAULT_TCP_LEN,
  DEFAULT_UDP_LEN,
  DEFAULT_UDP_RATE,
  IErr,
  Limits,
  VERSION,
} from './constants.js';
import { HostopsError } from '../lib/errors.js';

export interface TestSettings {
  protocol: 'tcp' | 'udp';
  /** Seconds; 0 when the test is bounded by bytes or blocks. */
  duration: number;
  bytes: number;
  blocks: number;
  parallel: number;
  reverse: boolean;
  bidir: boolean;
  /** Block (write) size in bytes. */
  len: number;
  /** Socket buffer size asked for (bytes), 0 = default. */
  window: number;
  omit: number;
  /** Target bit/s per stream; 0 = unlimited. */
  bitrate: number;
  pacingTimer: number;
  congestion?: string;
  getServerOutput: boolean;
  udp64: boolean;
  noDelay: boolean;
  mss: number;
  tos: number;
  title?: string;
  clientVersion?: string;
}

export function defaultSettings(partial: Partial<TestSettings> = {}): TestSettings {
  const protocol = partial.protocol ?? 'tcp';
  const s: TestSettings = {
    protocol,
    duration: 10,
    bytes: 0,
    blocks: 0,
    parallel: 1,
    reverse: false,
    bidir: false,
    len: protocol === 'udp' ? DEFAULT_UDP_LEN : DEFAULT_TCP_LEN,
    window: 0,
    omit: 0,
    bitrate: protocol === 'udp' ? DEFAULT_UDP_RATE : 0,
    pacingTimer: 1000,
    getServerOutput: false,
    udp64: false,
    noDelay: false,
    mss: 0,
    tos: 0,
    ...partial,
  };
  if (s.bytes > 0 || s.blocks > 0) s.duration = 0;
  return s;
}

/** The params JSON in the key order and types a 3.12 client uses. */
export function toWire(s: TestSettings, authtoken?: string): Record<string, unknown> {
  const j: Record<string, unknown> = {};
  j[s.protocol] = true;
  j.omit = s.omit;
  j.time = s.duration;
  j.num = s.bytes;
  j.blockcount = s.blocks;
  if (s.mss) j.MSS = s.mss;
  if (s.noDelay) j.nodelay = true;
  j.parallel = s.parallel;
  if (s.reverse) j.reverse = true;
  if (s.bidir) j.bidirectional = true;
  if (s.window) j.window = s.window;
  j.len = s.len;
  if (s.bitrate) j.bandwidth = s.bitrate;
  j.pacing_timer = s.pacingTimer;
  if (s.tos) j.TOS = s.tos;
  if (s.title) j.title = s.title;
  if (s.congestion) j.congestion = s.congestion;
  if (s.getServerOutput) j.get_server_output = 1;
  if (s.udp64) j.udp_counters_64bit = 1;
  if (authtoken) j.authtoken = authtoken;
  j.client_version = VERSION;
  return j;
}

export class ParamError extends HostopsError {
  constructor(
    readonly ierrno: number,
    message: string,
  ) {
    super('IPERF_BAD_PARAM', message);
  }
}

function num(
  j: Record<string, unknown>,
  key: string,
  min: number,
  max: number,
  ierrno: number,
  dflt: number,
): number {
  const v = j[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new ParamError(ierrno, `parameter "${key}" must be a number from ${min} to ${max}`);
  }
  return Math.floor(v);
}

function flag(j: Record<string, unknown>, key: string): boolean {
  const v = j[key];
  if (v === undefined || v === null || v === false || v === 0) return false;
  if (v === true || typeof v === 'number') return true;
  throw new ParamError(IErr.IERECVPARAMS, `parameter "${key}" must be a boolean`);
}

function str(j: Record<string, unknown>, key: string, maxLen: number): string | undefined {
  const v = j[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > maxLen)
    throw new ParamError(IErr.IERECVPARAMS, `parameter "${key}" must be a short string`);
  return v;
}

export interface ServerLimits {
  maxDuration: number;
  maxParallel: number;
  /** Total bit/s a client may ask for (all streams); 0 = no limit. */
  maxBitrate: number;
}

/** get_parameters with iperf3 3.18's checks; throws ParamError carrying the i_errno to send. */
export function fromWire(j: Record<string, unknown>, lim: ServerLimits): TestSettings {
  const tcp = flag(j, 'tcp');
  const udp = flag(j, 'udp');
  if (flag(j, 'sctp') || (!tcp && !udp) || (tcp && udp))
    throw new ParamError(IErr.IERECVPARAMS, 'only TCP or UDP tests are served');
  const protocol = udp ? 'udp' : 'tcp';
  const parallel = num(
    j,
    'parallel',
    1,
    Math.min(Limits.maxParallel, lim.maxParallel),
    IErr.IENUMSTREAMS,
    1,
  );
  const lenMin = protocol === 'udp' ? Limits.minUdpLen : 1;
  const lenMax = protocol === 'udp' ? Limits.maxUdpLen : Limits.maxTcpLen;
  const s = defaultSettings({
    protocol,
    omit: num(j, 'omit', 0, Limits.maxOmit, IErr.IEOMIT, 0),
    duration: num(j, 'time', 0, Math.min(Limits.maxTime, lim.maxDuration), IErr.IEDURATION, 10),
    bytes: num(j, 'num', 0, Number.MAX_SAFE_INTEGER, IErr.IERECVPARAMS, 0),
    blocks: num(j, 'blockcount', 0, Number.MAX_SAFE_INTEGER, IErr.IERECVPARAMS, 0),
    mss: num(j, 'MSS', 0, 32767, IErr.IERECVPARAMS, 0),
    noDelay: flag(j, 'nodelay'),
    parallel,
    reverse: flag(j, 'reverse'),
    bidir: flag(j, 'bidirectional'),
    window: num(j, 'window', 0, Limits.maxWindow, IErr.IEBUFSIZE, 0),
    len: num(
      j,
      'len',
      lenMin,
      lenMax,
      IErr.IEBLOCKSIZE,
      protocol === 'udp' ? DEFAULT_UDP_LEN : DEFAULT_TCP_LEN,
    ),
    bitrate: num(
      j,
      'bandwidth',
      0,
      2 ** 53,
      IErr.IERECVPARAMS,
      protocol === 'udp' ? DEFAULT_UDP_RATE : 0,
    ),
    pacingTimer: num(j, 'pacing_timer', 1, 1_000_000, IErr.IERECVPARAMS, 1000),
    tos: num(j, 'TOS', 0, 255, IErr.IERECVPARAMS, 0),
    title: str(j, 'title', 256),
    congestion: str(j, 'congestion', 16),
    getServerOutput: flag(j, 'get_server_output'),
    udp64: flag(j, 'udp_counters_64bit'),
    clientVersion: str(j, 'client_version', 32),
  });
  // iperf3 bounds -n/-k tests only by size; an internet-facing server also bounds them in time
  // (see maxDuration in server.ts), so nothing else is needed here.
  if (s.bytes > 0 || s.blocks > 0)
    s.duration = num(j, 'time', 0, Limits.maxTime, IErr.IEDURATION, 0);
  // an authtoken sent to a server without authentication is ignored, as iperf3 does (server.ts checks it otherwise)
  const streams = s.bidir ? 2 * parallel : parallel;
  if (lim.maxBitrate > 0) {
    const total = s.bitrate * streams;
    if (s.bitrate === 0 || total > lim.maxBitrate)
      throw new ParamError(IErr.IETOTALRATE, 'requested rate above the server limit');
  }
  return s;
}
