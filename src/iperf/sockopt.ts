/**
 * -w (SO_SNDBUF / SO_RCVBUF) and -C (TCP_CONGESTION) on our own TCP sockets, through the
 * hostops_sock addon. Refusals by the kernel become HostopsErrors with exit 3 that say what the
 * host offers; the server turns them into iperf3's i_errno instead (SockOptError).
 */
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import { HostopsError } from '../lib/errors.js';
import { IErr } from './constants.js';
import { nativeError, sockAddon, tcpFd, type SockAddon } from './native-sock.js';

function procList(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

export function defaultCongestion(): string | undefined {
  return procList('/proc/sys/net/ipv4/tcp_congestion_control')[0];
}

export function availableCongestion(): string[] {
  return procList('/proc/sys/net/ipv4/tcp_available_congestion_control');
}

export function allowedCongestion(): string[] {
  return procList('/proc/sys/net/ipv4/tcp_allowed_congestion_control');
}

export interface TcpOptions {
  /** -w: bytes for both SO_SNDBUF and SO_RCVBUF; 0 = kernel default. */
  window: number;
  /** -C: algorithm name. */
  congestion?: string;
}

/** A socket option the kernel refused, with the i_errno iperf3 sends for it. */
export class SockOptError extends HostopsError {
  constructor(
    code: 'IPERF_NATIVE' | 'IPERF_CONGESTION' | 'IPERF_WINDOW' | 'IPERF_SOCKET' | 'IPERF_TOS',
    message: string,
    readonly ierrno: number,
    readonly errno: number,
    hint?: string,
  ) {
    super(code, message, { exitCode: 3, hint });
  }
}

function addonOrThrow(): SockAddon {
  const a = sockAddon();
  if (!a) {
    throw new SockOptError(
      'IPERF_NATIVE',
      `-w, -C and -S/--dscp need the native addon hostops_sock (${nativeError()?.message ?? 'not built'})`,
      IErr.IESETBUF,
      0,
      'run `npm install` (it builds the addon with node-gyp)',
    );
  }
  return a;
}

function explain(e: unknown, o: TcpOptions, what: 'cc' | 'buf'): SockOptError {
  const err = e as NodeJS.ErrnoException & { errno?: number };
  const errno = typeof err.errno === 'number' ? err.errno : 0;
  if (what === 'cc') {
    const name = JSON.stringify(o.congestion);
    if (err.code === 'ENOENT') {
      return new SockOptError(
        'IPERF_CONGESTION',
        `TCP congestion control algorithm ${name} is not available on this host ` +
          `(available: ${availableCongestion().join(' ') || 'unknown'})`,
        IErr.IESETCONGESTION,
        errno,
        `pick one of those, or load its module (modprobe tcp_${o.congestion})`,
      );
    }
    if (err.code === 'EPERM') {
      return new SockOptError(
        'IPERF_CONGESTION',
        `TCP congestion control algorithm ${name} is not allowed for this process ` +
          `(allowed: ${allowedCongestion().join(' ') || 'unknown'})`,
        IErr.IESETCONGESTION,
        errno,
        'run as root, or add it to net.ipv4.tcp_allowed_congestion_control',
      );
    }
    return new SockOptError(
      'IPERF_CONGESTION',
      `unable to set TCP congestion control ${name}: ${err.message}`,
      IErr.IESETCONGESTION,
      errno,
    );
  }
  return new SockOptError(
    'IPERF_WINDOW',
    `unable to set socket buffer size ${o.window}: ${err.message}`,
    IErr.IESETBUF,
    errno,
  );
}

/** iperf3 refuses a window the kernel capped below the request (IESETBUF2). */
function checkActual(o: TcpOptions, snd: number, rcv: number): void {
  if (o.window > 0 && (snd < o.window || rcv < o.window)) {
    throw new SockOptError(
      'IPERF_WINDOW',
      `socket buffer size not set correctly: asked for ${o.window} bytes, ` +
        `the kernel gave ${snd} (send) / ${rcv} (receive)`,
      IErr.IESETBUF2,
      0,
      'a request is capped at net.core.wmem_max / net.core.rmem_max (the kernel then doubles it); raise those or use a smaller -w',
    );
  }
}

/**
 * Client side, before connecting: try -w / -C on a scratch socket, so an algorithm the host lacks
 * is refused with exit 3 before the server is contacted. Returns the algorithm our sockets will use.
 */
export function checkTcpOptions(o: TcpOptions): string | undefined {
  if (!o.window && !o.congestion) return defaultCongestion();
  try {
    const a = addonOrThrow();
    const valid = o.congestion === undefined || /^[A-Za-z0-9_-]{1,15}$/.test(o.congestion);
    if (!valid) {
      throw new SockOptError(
        'IPERF_CONGESTION',
        `not a congestion control name: ${JSON.stringify(o.congestion!.slice(0, 40))} ` +
          `(available: ${availableCongestion().join(' ') || 'unknown'})`,
        IErr.IESETCONGESTION,
        0,
      );
    }
    let snd: number, rcv: number;
    try {
      [snd, rcv] = a.probeTcp(o.window, o.congestion ?? null);
    } catch (e) {
      const cc = o.congestion && /TCP_CONGESTION/.test((e as Error).message);
      throw explain(e, o, cc ? 'cc' : 'buf');
    }
    checkActual(o, snd, rcv);
  } catch (e) {
    if (e instanceof SockOptError)
      throw new HostopsError(e.code, e.message, { exitCode: 3, hint: e.hint });
    throw e;
  }
  return o.congestion ?? defaultCongestion();
}

/**
 * Apply -w / -C to one connected TCP socket (a data stream). Throws SockOptError; returns the
 * buffer sizes the kernel reports afterwards (0 when -w was not given).
 */
export function applyTcpOptions(
  sock: net.Socket,
  o: TcpOptions,
): { sndbuf: number; rcvbuf: number } {
  if (!o.window && !o.congestion) return { sndbuf: 0, rcvbuf: 0 };
  const a = addonOrThrow();
  const fd = tcpFd(sock);
  if (fd < 0)
    throw new SockOptError(
      'IPERF_SOCKET',
      'the data socket has no file descriptor (closed?)',
      IErr.IESETBUF,
      0,
    );
  let snd = 0,
    rcv = 0;
  if (o.window) {
    try {
      [snd, rcv] = a.setBuffers(fd, o.window);
    } catch (e) {
      throw explain(e, o, 'buf');
    }
    checkActual(o, snd, rcv);
  }
  if (o.congestion) {
    try {
      a.setCongestion(fd, o.congestion);
    } catch (e) {
      throw explain(e, o, 'cc');
    }
  }
  return { sndbuf: snd, rcvbuf: rcv };
}

/**
 * -S / --dscp on one data socket (TCP or UDP, by fd), as iperf3 marks each stream once connected:
 * IP_TOS, or IPV6_TCLASS on IPv6 (iperf3's IESETTOS / IESETCOS when the kernel refuses).
 */
export function applyTos(fd: number, tos: number, v6: boolean): void {
  if (!tos) return;
  const a = addonOrThrow();
  const ierrno = v6 ? IErr.IESETCOS : IErr.IESETTOS;
  if (fd < 0)
    throw new SockOptError(
      'IPERF_SOCKET',
      'the data socket has no file descriptor (closed?)',
      ierrno,
      0,
    );
  let got: number;
  try {
    got = a.setTos(fd, tos);
  } catch (e) {
    const err = e as Error & { errno?: number };
    throw new SockOptError(
      'IPERF_TOS',
      `unable to set ${v6 ? 'IPv6 traffic class' : 'IP TOS'} ${tos}: ${err.message}`,
      ierrno,
      err.errno ?? 0,
    );
  }
  // the kernel may clear the ECN bits of the byte on TCP sockets; the DSCP part must stick
  if ((got & 0xfc) !== (tos & 0xfc)) {
    throw new SockOptError(
      'IPERF_TOS',
      `the kernel set TOS ${got} where ${tos} was asked for`,
      ierrno,
      0,
    );
  }
}

/** The algorithm a TCP socket uses, as the kernel reports it. */
export function congestionOf(sock: net.Socket): string | undefined {
  const a = sockAddon();
  const fd = tcpFd(sock);
  if (!a || fd < 0) return undefined;
  try {
    return a.getCongestion(fd);
  } catch {
    return undefined;
  }
}

/** TCP_MAXSEG of a connected socket, 0 when unknown. */
export function mssOf(sock: net.Socket): number {
  const a = sockAddon();
  const fd = tcpFd(sock);
  if (!a || fd < 0) return 0;
  try {
    return a.getMss(fd);
  } catch {
    return 0;
  }
}

/** SO_SNDBUF / SO_RCVBUF of a socket as the kernel reports them, zeros when unknown. */
export function buffersOf(sock: net.Socket): { sndbuf: number; rcvbuf: number } {
  const a = sockAddon();
  const fd = tcpFd(sock);
  if (!a || fd < 0) return { sndbuf: 0, rcvbuf: 0 };
  try {
    const [s, r] = a.getBuffers(fd);
    return { sndbuf: s, rcvbuf: r };
  } catch {
    return { sndbuf: 0, rcvbuf: 0 };
  }
}
