/**
 * The hostops_sock addon (native/sock): socket options Node does not expose, applied to the fd
 * of a Node socket. Loaded lazily; when it is missing, callers fall back (no tcp_info, JS UDP
 * receive) or refuse the option with exit 3.
 */
import type net from 'node:net';
import type dgram from 'node:dgram';
import { loadAddon } from '../lib/native.js';

export interface UdpRxHandle {
  readonly __brand: 'udp-rx';
}

export interface SockAddon {
  setBuffers(fd: number, bytes: number): [number, number];
  getBuffers(fd: number): [number, number];
  setCongestion(fd: number, name: string): void;
  getCongestion(fd: number): string;
  probeTcp(window: number, congestion: string | null): [number, number];
  getMss(fd: number): number;
  tcpInfo(fd: number, out: Float64Array): boolean;
  /** IP_TOS (IPv4) or IPV6_TCLASS (IPv6); returns the value the kernel reports afterwards. */
  setTos(fd: number, tos: number): number;
  udpRxOpen(fd: number, udp64: boolean): UdpRxHandle;
  udpRxCounting(h: UdpRxHandle, on: boolean): void;
  udpRxRead(h: UdpRxHandle, out: Float64Array): void;
  udpRxClose(h: UdpRxHandle): void;
}

let addon: SockAddon | null | undefined;
let loadError: Error | undefined;

/** The addon, or null when it could not be loaded (see nativeError for why). */
export function sockAddon(): SockAddon | null {
  if (addon === undefined) {
    try {
      addon = loadAddon<SockAddon>('hostops_sock');
    } catch (e) {
      addon = null;
      loadError = e as Error;
    }
  }
  return addon;
}

export function nativeError(): Error | undefined {
  sockAddon();
  return loadError;
}

/** The fd behind a connected net.Socket (libuv's TCP handle exposes it on Linux), or -1. */
export function tcpFd(sock: net.Socket): number {
  const h = (sock as unknown as { _handle?: { fd?: number } | null })._handle;
  return h && typeof h.fd === 'number' ? h.fd : -1;
}

type UdpHandle = { fd?: number; recvStop?: () => number };

/** The libuv UDP handle of a dgram socket (kept under Node's internal 'state symbol'). */
export function udpHandle(sock: dgram.Socket): UdpHandle | null {
  const sym = Object.getOwnPropertySymbols(sock).find((s) => s.description === 'state symbol');
  const state = sym
    ? (sock as unknown as Record<symbol, { handle?: UdpHandle | null }>)[sym]
    : undefined;
  return state?.handle ?? null;
}

export function udpFd(sock: dgram.Socket): number {
  const h = udpHandle(sock);
  return h && typeof h.fd === 'number' ? h.fd : -1;
}
