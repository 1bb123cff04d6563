/**
 * UDP data streams: the datagram header (sec, usec of CLOCK_MONOTONIC, then a 32- or 64-bit
 * sequence number starting at 1, all big-endian), paced sending, and the stream "connect"
 * handshake ("9876" from the client, "6789" back from the server) that UDP uses instead of a cookie.
 */
import { bindUdpDevice, wantsDeviceBind, type DeviceBind } from './bind-dev.js';
import dgram from 'node:dgram';
import { nowSec } from './clock.js';
import {
  UDP_CONNECT_MSG,
  UDP_CONNECT_MSG_LEGACY,
  UDP_CONNECT_REPLY,
  UDP_CONNECT_REPLY_LEGACY,
} from './constants.js';
import type { Pacer, SendBudget } from './tcp-data.js';
import type { RxCounter, StreamStats } from './stream.js';
import { sockAddon, udpFd, udpHandle, type SockAddon, type UdpRxHandle } from './native-sock.js';

const RING = 256;
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));
const BATCH = 256;

export class UdpSender {
  private stopped = true;
  private ring: Buffer[];
  private slot = 0;
  private seq = 0;
  private paced = 0;
  private readonly pump = (): void => this.run();

  constructor(
    private readonly sock: dgram.Socket,
    readonly st: StreamStats,
    len: number,
    private readonly udp64: boolean,
    private readonly budget: SendBudget,
    private readonly pacer: Pacer | null,
    private readonly pacingMs: number,
  ) {
    // A ring of datagram buffers: a send the kernel could not take at once keeps its own copy of
    // the header until libuv sends it, while we stamp the next ones.
    this.ring = Array.from({ length: RING }, () => Buffer.alloc(len));
    sock.on('error', () => {});
  }

  start(): void {
    this.stopped = false;
    this.pacer?.reset();
    this.run();
  }
  stop(): void {
    this.stopped = true;
  }
  resetPacing(): void {
    this.paced = 0;
    this.pacer?.reset();
  }

  private run(): void {
    if (this.stopped) return;
    let allowance = this.pacer ? this.pacer.allowance(this.paced) : Infinity;
    const len = this.ring[0].length;
    for (let i = 0; i < BATCH; i++) {
      if (this.stopped) return;
      if (this.budget.exhausted()) {
        this.stopped = true;
        return;
      }
      if (allowance < len) break;
      const buf = this.ring[this.slot];
      this.slot = (this.slot + 1) % RING;
      const [sec, ns] = process.hrtime();
      this.seq++;
      buf.writeUInt32BE(sec >>> 0, 0);
      buf.writeUInt32BE(Math.floor(ns / 1000), 4);
      if (this.udp64) buf.writeBigUInt64BE(BigInt(this.seq), 8);
      else buf.writeUInt32BE(this.seq >>> 0, 8);
      try {
        this.sock.send(buf);
      } catch {
        this.stopped = true;
        return;
      }
      allowance -= len;
      this.paced += len;
      this.st.bytes += len;
      this.st.ivBytes += len;
      this.st.packets++;
      if (this.budget.book(len)) {
        this.stopped = true;
        return;
      }
    }
    if (this.pacer && allowance < len) {
      // Node timers fire 1-2 ms late under load, which turns a 1 Gbit/s stream into ~200 KB
      // bursts that overflow a receiver's default 208 KiB buffer. For short waits sleep
      // precisely instead (a futex wait, no spinning), then let the event loop run once.
      const waitMs = ((len - allowance) * 8 * 1000) / this.pacer.bitsPerSecond;
      if (waitMs < 2) {
        Atomics.wait(SLEEPER, 0, 0, Math.max(0.02, Math.min(waitMs, 0.5)));
        setImmediate(this.pump);
      } else setTimeout(this.pump, Math.min(waitMs, this.pacingMs));
    } else setImmediate(this.pump);
  }
}

/**
 * Receiver: count loss / jitter / order. Natively when hostops_sock is there (recvmmsg batches,
 * kernel receive timestamps, counters kept in C, read by JS a few times a second and at each
 * report); otherwise per datagram in JS, timestamped when the 'message' event runs.
 * HOSTOPS_IPERF_UDP_RX=js forces the JS path. Returns which path counts.
 */
export function countUdp(
  sock: dgram.Socket,
  st: StreamStats,
  udp64: boolean,
  isRunning: () => boolean,
  onBytes?: (n: number) => void,
): 'native' | 'js' {
  sock.on('error', () => {});
  if (
    process.env.HOSTOPS_IPERF_UDP_RX !== 'js' &&
    NativeUdpCounter.attach(sock, st, udp64, onBytes)
  )
    return 'native';
  sock.on('message', (msg: Buffer) => {
    if (!isRunning() || msg.length < (udp64 ? 16 : 12)) return;
    const sec = msg.readUInt32BE(0);
    const usec = msg.readUInt32BE(4);
    const seq = udp64 ? Number(msg.readBigUInt64BE(8)) : msg.readUInt32BE(8);
    st.udpReceived(msg.length, seq, sec, usec, nowSec());
    onBytes?.(msg.length);
  });
  return 'js';
}

const RX_OUT = new Float64Array(8);
/** How often the running totals reach JS between reports (watchdogs, -n budgets of a -R client). */
const RX_SYNC_MS = 100;

class NativeUdpCounter implements RxCounter {
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    private readonly addon: SockAddon,
    private readonly h: UdpRxHandle,
    private readonly st: StreamStats,
    private readonly onBytes?: (n: number) => void,
  ) {}

  /** Moves the socket's receive side to the addon; false (JS path) when that is not possible. */
  static attach(
    sock: dgram.Socket,
    st: StreamStats,
    udp64: boolean,
    onBytes?: (n: number) => void,
  ): boolean {
    const addon = sockAddon();
    const handle = udpHandle(sock);
    const fd = udpFd(sock);
    if (!addon || !handle || typeof handle.recvStop !== 'function' || fd < 0) return false;
    let h: UdpRxHandle;
    try {
      h = addon.udpRxOpen(fd, udp64);
    } catch {
      return false;
    }
    // libuv must stop reading the socket, or it would take datagrams from under the addon.
    handle.recvStop();
    const c = new NativeUdpCounter(addon, h, st, onBytes);
    st.rx = c;
    sock.once('close', () => c.close());
    return true;
  }

  start(): void {
    if (this.closed) return;
    this.addon.udpRxCounting(this.h, true);
    this.timer ??= setInterval(() => this.sync(), RX_SYNC_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.closed) return;
    this.addon.udpRxCounting(this.h, false);
    this.sync();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  sync(): void {
    if (this.closed) return;
    this.addon.udpRxRead(this.h, RX_OUT);
    const st = this.st;
    const d = RX_OUT[0] - this.bytes;
    this.bytes = RX_OUT[0];
    st.bytes += d;
    st.ivBytes += d;
    st.packets = RX_OUT[1];
    st.errors = RX_OUT[2];
    st.outOfOrder = RX_OUT[3];
    st.jitter = RX_OUT[4];
    if (d > 0) this.onBytes?.(d);
  }

  close(): void {
    if (this.closed) return;
    this.sync();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.addon.udpRxClose(this.h);
  }
}

function isReply(msg: Buffer): boolean {
  return (
    msg.length === 4 &&
    (msg.equals(UDP_CONNECT_REPLY) ||
      msg.readUInt32LE(0) === UDP_CONNECT_REPLY_LEGACY ||
      msg.readUInt32BE(0) === UDP_CONNECT_REPLY_LEGACY)
  );
}

export function isHello(msg: Buffer): boolean {
  return (
    msg.length === 4 &&
    (msg.equals(UDP_CONNECT_MSG) ||
      msg.readUInt32LE(0) === UDP_CONNECT_MSG_LEGACY ||
      msg.readUInt32BE(0) === UDP_CONNECT_MSG_LEGACY)
  );
}

/** Client side: a connected UDP socket that the server has acknowledged. */
export function udpConnect(
  host: string,
  port: number,
  family: 4 | 6,
  timeoutMs: number,
  bufSize = 0,
  local: { address?: string; port?: number } & DeviceBind = {},
): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    let done = false;
    const finish = (e?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.removeListener('message', onMsg);
      if (e) {
        sock.close();
        reject(e);
      } else resolve(sock);
    };
    const onMsg = (msg: Buffer) => {
      if (isReply(msg)) finish();
    };
    const timer = setTimeout(
      () =>
        finish(
          new Error(`no UDP stream reply from ${host} port ${port} within ${timeoutMs / 1000} s`),
        ),
      timeoutMs,
    );
    sock.on('error', (e) => finish(e));
    sock.on('message', onMsg);
    const go = () =>
      sock.connect(port, host, () => {
        trySetBuffers(sock, bufSize);
        sock.send(UDP_CONNECT_MSG, (e) => {
          if (e) finish(e);
        });
      });
    // -B / --cport: bind first (an unbound connect takes an ephemeral port on any address);
    // --bind-dev / --fwmark need the fd, which a dgram socket has only once bound
    const dev = wantsDeviceBind(local);
    if (local.address || local.port || dev) {
      sock.bind({ address: local.address, port: local.port ?? 0, exclusive: true }, () => {
        if (dev) {
          try {
            bindUdpDevice(sock, local);
          } catch (e) {
            finish(e as Error);
            return;
          }
        }
        go();
      });
    } else go();
  });
}

/**
 * Socket buffers for UDP streams: -w when given (as iperf3 applies it), else 4 MiB so a receiver
 * that is briefly descheduled does not drop what the network delivered. Capped by net.core.*mem_max.
 */
export function trySetBuffers(sock: dgram.Socket, size = 0): void {
  if (size <= 0) size = 4 * 1024 * 1024;
  try {
    sock.setRecvBufferSize(size);
  } catch {
    /* capped by net.core.rmem_max */
  }
  try {
    sock.setSendBufferSize(size);
  } catch {
    /* capped by net.core.wmem_max */
  }
}

/**
 * Server side: one listening UDP socket on the test port. The first hello connects it to that
 * client; a fresh socket then listens for the next stream (as iperf3 does) before we reply.
 */
export class UdpAcceptor {
  private sock: dgram.Socket | null = null;
  private closed = false;

  constructor(
    private readonly host: string | undefined,
    private readonly port: number,
    private readonly family: 4 | 6,
    private readonly bufSize: number,
    private readonly onStream: (
      sock: dgram.Socket,
      peer: { address: string; port: number },
    ) => void,
  ) {}

  async listen(): Promise<void> {
    const sock = dgram.createSocket({ type: this.family === 6 ? 'udp6' : 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(this.port, this.host, () => {
        sock.removeListener('error', reject);
        resolve();
      });
    });
    sock.on('error', () => {});
    trySetBuffers(sock, this.bufSize);
    this.sock = sock;
    const onMsg = (msg: Buffer, rinfo: dgram.RemoteInfo) => {
      if (this.closed || !isHello(msg)) return;
      sock.removeListener('message', onMsg);
      try {
        sock.connect(rinfo.port, rinfo.address, () => {
          this.sock = null;
          const peer = { address: rinfo.address, port: rinfo.port };
          // As iperf3: a listener for the next stream, then the reply, and only then is the stream
          // handed over (the last one starts the test). So a sending stream's data can never
          // precede its "6789": a 3.12 --bidir client fails on any other first datagram.
          const drop = () => {
            try {
              sock.close();
            } catch {
              /* closed */
            }
          };
          const next = this.closed ? Promise.resolve() : this.listen();
          next
            .catch(() => {})
            .finally(() => {
              try {
                sock.send(UDP_CONNECT_REPLY, (err) => {
                  if (err || this.closed) drop();
                  else this.onStream(sock, peer);
                });
              } catch {
                drop();
              }
            });
        });
      } catch {
        /* socket closed under us */
      }
    };
    sock.on('message', onMsg);
  }

  close(): void {
    this.closed = true;
    this.sock?.close();
    this.sock = null;
  }
}
