/**
 * --bind-dev (iperf3: SO_BINDTODEVICE) and --fwmark (SO_MARK) on the client's sockets, so a test
 * runs through one chosen transit feed. Both must be set before connect (the SYN's route), so TCP
 * sockets are created by the hostops_sock addon and handed to Node unconnected.
 */
import net from 'node:net';
import type dgram from 'node:dgram';
import { envError } from '../lib/errors.js';
import { nativeError, sockAddon, udpHandle, type SockAddon } from './native-sock.js';

export interface DeviceBind {
  device?: string;
  mark?: number;
}

type BindAddon = SockAddon & {
  tcpSocket(family: number): number;
  bindDevice(fd: number, device: string, mark: number): void;
};

function addon(): BindAddon {
  const a = sockAddon() as BindAddon | null;
  if (!a)
    throw envError(
      'IPERF_NATIVE',
      `--bind-dev and --fwmark need the native addon hostops_sock (${nativeError()?.message ?? 'not built'})`,
      'run `npm install` (it builds the addon with node-gyp)',
    );
  return a;
}

export const wantsDeviceBind = (b: DeviceBind | undefined): b is DeviceBind =>
  !!b && (!!b.device || b.mark !== undefined);

function apply(a: BindAddon, fd: number, b: DeviceBind): void {
  try {
    a.bindDevice(fd, b.device ?? '', b.mark ?? -1);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (/SO_MARK/.test(err.message)) {
      throw envError(
        'NET_FWMARK',
        `cannot set fwmark ${b.mark} on the iperf socket (${err.message})`,
        err.code === 'EPERM' ? 'SO_MARK needs CAP_NET_ADMIN: run as root' : undefined,
      );
    }
    if (err.code === 'ENODEV')
      throw envError(
        'NET_NO_INTERFACE',
        `no interface named "${b.device}" on this host (${err.message})`,
        'list them with `ip -br link`',
      );
    throw envError(
      'NET_BIND_DEVICE',
      `cannot bind the iperf socket to "${b.device}" (${err.message})`,
    );
  }
}

/** An unconnected TCP socket of this family with the device / mark set; connect() it as usual. */
export function boundTcpSocket(family: 4 | 6, b: DeviceBind, onread?: net.OnReadOpts): net.Socket {
  const a = addon();
  const fd = a.tcpSocket(family);
  try {
    apply(a, fd, b);
  } catch (e) {
    // not yet owned by a Node handle: close it through a throwaway socket wrapper
    new net.Socket({ fd }).destroy();
    throw e;
  }
  return new net.Socket({ fd, readable: true, writable: true, ...(onread ? { onread } : {}) });
}

/** Device / mark on a bound dgram socket, before its connect(). */
export function bindUdpDevice(sock: dgram.Socket, b: DeviceBind): void {
  const fd = udpHandle(sock)?.fd;
  if (typeof fd !== 'number' || fd < 0)
    throw envError('IPERF_SOCKET', 'the UDP socket has no file descriptor for --bind-dev/--fwmark');
  apply(addon(), fd, b);
}
