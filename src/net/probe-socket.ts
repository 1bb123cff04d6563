/**
 * The only file that touches the hostops_probe addon. A ProbeSocket is one non-blocking socket
 * watched by libuv; every wakeup delivers a batch of decoded packets to `onEvents`.
 * Times are nanoseconds since `clockBase()` (CLOCK_REALTIME, kernel receive stamps).
 */
import { randomBytes } from 'node:crypto';
import { loadAddon } from '../lib/native.js';
import { envError, HostopsError } from '../lib/errors.js';
import type { SocketBind } from './bind.js';

export type SocketKind = 'icmp-raw' | 'icmp-dgram' | 'udp' | 'tcp-raw';
export type Family = 4 | 6;

export interface ProbeEvent {
  /** tx: the kernel's send timestamp of the probe whose tag is `key` */
  kind: 'echo' | 'error' | 'tcp' | 'tx';
  /** kernel receive time, ns since clockBase() */
  t: number;
  /** received TTL / hop limit, -1 when unknown */
  ttl: number;
  type: number;
  code: number;
  /** echo id of the reply, or of the quoted request in an error */
  id: number;
  /** probe key: echo seq, UDP payload key, TCP sequence number; -1 unknown */
  key: number;
  /** ICMP length (header + data) of an echo reply */
  len: number;
  /** the payload carried this socket's random cookie (our probe, not a foreign or forged one) */
  cookieOk: boolean;
  /** protocol of the quoted packet in an error (1 ICMP, 6 TCP, 17 UDP, 58 ICMPv6), -1 too short */
  innerProto: number;
  innerSport: number;
  innerDport: number;
  /** RFC 4950 MPLS label stack entries of an RFC 4884 ICMP extension (errors), as sent: label<<12 | TC<<9 | S<<8 | TTL */
  mpls: number[];
  tcpFlags: number;
  sport: number;
  dport: number;
  /** errqueue errno; -1 marks a bad checksum on an echo reply */
  errno: number;
  /** sender of the packet (offender of an ICMP error) */
  from: string;
  /** destination of the quoted probe ('' unknown) */
  innerDst: string;
}

interface Addon {
  version(): string;
  open(
    kind: number,
    family: number,
    cookie: Buffer,
    slots: Float64Array,
    cb: (n: number, addrs: string[]) => void,
    flags: number,
    source?: string,
    device?: string,
    mark?: number,
  ): unknown;
  close(h: unknown): void;
  ref(h: unknown, on: boolean): void;
  sendEcho(
    h: unknown,
    addr: string,
    ttl: number,
    tos: number,
    id: number,
    seq: number,
    size: number,
    tag: number,
  ): number;
  sendUdp(
    h: unknown,
    addr: string,
    port: number,
    ttl: number,
    tos: number,
    key: number,
    size: number,
    tag: number,
  ): number;
  sendTcpSyn(
    h: unknown,
    addr: string,
    dport: number,
    ttl: number,
    tos: number,
    sport: number,
    seq: number,
    tag: number,
  ): number;
  localId(h: unknown): number;
  now(): number;
  clockBase(): number;
  sourceFor(family: number, dst: string, source: string, device: string, mark: number): string;
}

let addon: Addon | undefined;
function native(): Addon {
  addon ??= loadAddon<Addon>('hostops_probe');
  return addon;
}

const KIND: Record<SocketKind, number> = { 'icmp-raw': 1, 'icmp-dgram': 2, udp: 3, 'tcp-raw': 4 };
const EV_KIND = ['', 'echo', 'error', 'tcp', 'tx'] as const;
/** numbers per event (native/probe/addon.c EV_STRIDE): 16 fields, the MPLS entry count, 8 entries */
const STRIDE = 25;
const NO_LABELS: number[] = [];
const BATCH = 256;

/** Current time on the probe clock (ns since clockBase()). */
export function nowNs(): number {
  return native().now();
}

/** Epoch seconds that probe times count from. */
export function clockBase(): number {
  return native().clockBase();
}

/**
 * The source address the kernel picks towards `dst` for probes with this binding (what iputils
 * ping prints after -I); undefined when there is no route that way.
 */
export function sourceFor(
  family: Family,
  dst: string,
  b: SocketBind | undefined,
): string | undefined {
  try {
    return native().sourceFor(family, dst, b?.source ?? '', b?.device ?? '', b?.mark ?? -1);
  } catch {
    return undefined;
  }
}

/** Send errors come back as -errno; this names the common ones like the C library does. */
export function errnoText(neg: number): string {
  const e = -neg;
  const names: Record<number, string> = {
    1: 'Operation not permitted',
    13: 'Permission denied',
    22: 'Invalid argument',
    90: 'Message too long',
    101: 'Network is unreachable',
    113: 'No route to host',
    105: 'No buffer space available',
    11: 'Resource temporarily unavailable',
  };
  return names[e] ?? `errno ${e}`;
}

export class ProbeSocket {
  readonly kind: SocketKind;
  readonly family: Family;
  private h: unknown;
  private closed = false;

  private constructor(kind: SocketKind, family: Family, h: unknown) {
    this.kind = kind;
    this.family = family;
    this.h = h;
  }

  /**
   * Open a socket; permission problems become HostopsError exit 3 naming what to grant.
   * txTimestamps: the kernel reports when each probe left the device ('tx' events keyed by the
   * send's tag), so an RTT does not include our own send path.
   * bind: source address / interface / fwmark the probes leave with (a transit feed).
   */
  static open(
    kind: SocketKind,
    family: Family,
    onEvents: (events: ProbeEvent[]) => void,
    opts: ProbeOpenOptions = {},
  ): ProbeSocket {
    const a = native();
    const slots = new Float64Array(STRIDE * BATCH);
    const cb = (n: number, addrs: string[]) => {
      const evs: ProbeEvent[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const o = i * STRIDE;
        evs[i] = {
          kind: EV_KIND[slots[o]] as ProbeEvent['kind'],
          t: slots[o + 1],
          ttl: slots[o + 2],
          type: slots[o + 3],
          code: slots[o + 4],
          id: slots[o + 5],
          key: slots[o + 6],
          len: slots[o + 7],
          cookieOk: slots[o + 8] === 1,
          innerProto: slots[o + 9],
          innerSport: slots[o + 10],
          innerDport: slots[o + 11],
          tcpFlags: slots[o + 12],
          sport: slots[o + 13],
          dport: slots[o + 14],
          errno: slots[o + 15],
          from: addrs[2 * i],
          innerDst: addrs[2 * i + 1] ?? '',
          mpls:
            slots[o + 16] > 0
              ? Array.from(slots.subarray(o + 17, o + 17 + slots[o + 16]))
              : NO_LABELS,
        };
      }
      onEvents(evs);
    };
    let h: unknown;
    try {
      const b = opts.bind;
      h = a.open(
        KIND[kind],
        family,
        randomBytes(8),
        slots,
        cb,
        opts.txTimestamps ? 1 : 0,
        b?.source ?? '',
        b?.device ?? '',
        b?.mark ?? -1,
      );
    } catch (e) {
      throw (
        bindError(opts.bind, e as NodeJS.ErrnoException) ??
        permissionError(kind, family, e as NodeJS.ErrnoException)
      );
    }
    return new ProbeSocket(kind, family, h);
  }

  /** ICMP echo request; returns the send time (ns) or -errno. */
  sendEcho(
    addr: string,
    o: { ttl?: number; tos?: number; id: number; seq: number; size: number; tag?: number },
  ): number {
    return native().sendEcho(
      this.h,
      addr,
      o.ttl ?? 0,
      o.tos ?? -1,
      o.id,
      o.seq,
      o.size,
      (o.tag ?? 0) >>> 0,
    );
  }

  /** UDP datagram carrying `key` after the cookie; returns the send time (ns) or -errno. */
  sendUdp(
    addr: string,
    o: { port: number; ttl?: number; tos?: number; key: number; size: number; tag?: number },
  ): number {
    return native().sendUdp(
      this.h,
      addr,
      o.port,
      o.ttl ?? 0,
      o.tos ?? -1,
      o.key >>> 0,
      o.size,
      (o.tag ?? 0) >>> 0,
    );
  }

  /** TCP SYN with sequence number `seq`; returns the send time (ns) or -errno. */
  sendTcpSyn(
    addr: string,
    o: { port: number; ttl?: number; tos?: number; sport: number; seq: number; tag?: number },
  ): number {
    return native().sendTcpSyn(
      this.h,
      addr,
      o.port,
      o.ttl ?? 0,
      o.tos ?? -1,
      o.sport,
      o.seq >>> 0,
      (o.tag ?? 0) >>> 0,
    );
  }

  /** Echo id the kernel gave a ping socket, or the bound source port of a UDP socket. */
  localId(): number {
    return native().localId(this.h);
  }

  /** Let the process exit while this socket is open (long-lived service sockets). */
  unref(): void {
    if (!this.closed) native().ref(this.h, false);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    native().close(this.h);
  }
}

export interface ProbeOpenOptions {
  txTimestamps?: boolean;
  bind?: SocketBind;
}

/** Failures of the source / interface / fwmark choice, named by the value the user gave. */
function bindError(b: SocketBind | undefined, e: NodeJS.ErrnoException): HostopsError | undefined {
  if (!b) return undefined;
  const msg = e.message ?? '';
  if (/^SO_BINDTODEVICE/.test(msg)) {
    if (e.code === 'ENODEV') {
      return envError(
        'NET_NO_INTERFACE',
        `no interface named "${b.device}" on this host (${msg})`,
        'list them with `ip -br link`',
      );
    }
    return envError(
      'NET_BIND_DEVICE',
      `cannot bind the probe socket to interface "${b.device}" (${msg})`,
      e.code === 'EPERM' ? 'SO_BINDTODEVICE needs CAP_NET_RAW: run as root' : undefined,
    );
  }
  if (/^setsockopt SO_MARK/.test(msg)) {
    return envError(
      'NET_FWMARK',
      `cannot set fwmark ${b.mark} on the probe socket (${msg})`,
      e.code === 'EPERM'
        ? 'SO_MARK needs CAP_NET_ADMIN: run as root, or `setcap cap_net_admin,cap_net_raw+ep` on node'
        : undefined,
    );
  }
  if (/^bind /.test(msg) && b.source) {
    if (e.code === 'EADDRNOTAVAIL') {
      return envError(
        'NET_NO_SOURCE',
        `source address ${b.source} is not an address of this host${b.device ? ` (or of ${b.device})` : ''} (${msg})`,
        'list the local addresses with `ip -br addr`',
      );
    }
    return envError('NET_BIND_SOURCE', `cannot bind the probe socket to ${b.source} (${msg})`);
  }
  return undefined;
}

function permissionError(kind: SocketKind, family: Family, e: NodeJS.ErrnoException): Error {
  if (e.code === 'EPERM' || e.code === 'EACCES') {
    const what =
      kind === 'icmp-dgram'
        ? `ICMP datagram sockets are not allowed for this group (net.ipv4.ping_group_range)`
        : `${kind === 'udp' ? 'a UDP probe socket' : 'a raw socket'} needs CAP_NET_RAW`;
    return envError(
      'NET_PERMISSION',
      `cannot open a probe socket: ${what} (${e.message})`,
      'run as root, or grant the capability: `setcap cap_net_raw+ep "$(readlink -f "$(command -v node)")"`, ' +
        "or for ICMP only allow ping sockets: `sysctl -w net.ipv4.ping_group_range='0 2147483647'`",
    );
  }
  if (e.code === 'EAFNOSUPPORT' || e.code === 'EPROTONOSUPPORT') {
    return envError(
      'NET_UNSUPPORTED',
      `IPv${family} ${kind} sockets are not supported here (${e.message})`,
      family === 6 ? 'is IPv6 enabled (net.ipv6.conf.all.disable_ipv6=0)?' : undefined,
    );
  }
  if (e instanceof HostopsError) return e;
  return envError('NET_SOCKET', `cannot open a probe socket: ${e.message}`);
}

/**
 * Open an ICMP echo socket: raw first (sees every error with its quoted header), then an ICMP
 * datagram socket when ping_group_range allows it. Throws the raw socket's permission error.
 */
export function openIcmp(
  family: Family,
  onEvents: (events: ProbeEvent[]) => void,
  mode: 'auto' | 'raw' | 'dgram' = 'auto',
  opts: ProbeOpenOptions = {},
): ProbeSocket {
  if (mode === 'dgram') return ProbeSocket.open('icmp-dgram', family, onEvents, opts);
  try {
    return ProbeSocket.open('icmp-raw', family, onEvents, opts);
  } catch (e) {
    if (mode === 'raw' || !(e instanceof HostopsError) || e.code !== 'NET_PERMISSION') throw e;
    try {
      return ProbeSocket.open('icmp-dgram', family, onEvents, opts);
    } catch {
      throw e;
    }
  }
}
